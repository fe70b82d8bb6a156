using BenchmarkDotNet.Attributes;
using Berth.Oci.Api;

namespace Berth.Benchmarks;

/// <summary>Routing of the path after /v2/: runs on every request.</summary>
[MemoryDiagnoser]
public class RegistryPathBenchmarks
{
    private readonly string _manifestByTag = "library/nginx/manifests/latest";
    private readonly string _manifestByDigest = "team/project/app/manifests/" + Samples.Sha256;
    private readonly string _blob = "library/nginx/blobs/" + Samples.Sha256;
    private readonly string _deepName = "a/b/c/d/e/f/g/h/manifests/v1";
    private readonly string _uploadStart = "library/nginx/blobs/uploads/";
    private readonly string _upload = "library/nginx/blobs/uploads/0f8e2a3c-5b1d-4f3e-9a7c-2d6b8e1f0a9b";
    private readonly string _tagsList = "library/nginx/tags/list";
    private readonly string _invalidName = "Library/NGINX/manifests/latest";
    private readonly string _unrouted = "library/nginx/unknown/thing";

    [Benchmark(Baseline = true)]
    public bool ManifestByTag() => RegistryPath.TryParse(_manifestByTag, out _, out _);

    [Benchmark]
    public bool ManifestByDigest() => RegistryPath.TryParse(_manifestByDigest, out _, out _);

    [Benchmark]
    public bool Blob() => RegistryPath.TryParse(_blob, out _, out _);

    [Benchmark]
    public bool DeepName() => RegistryPath.TryParse(_deepName, out _, out _);

    [Benchmark]
    public bool UploadStart() => RegistryPath.TryParse(_uploadStart, out _, out _);

    [Benchmark]
    public bool UploadSession() => RegistryPath.TryParse(_upload, out _, out _);

    [Benchmark]
    public bool TagsList() => RegistryPath.TryParse(_tagsList, out _, out _);

    [Benchmark]
    public bool InvalidName() => RegistryPath.TryParse(_invalidName, out _, out _);

    [Benchmark]
    public bool Unrouted() => RegistryPath.TryParse(_unrouted, out _, out _);
}
