using BenchmarkDotNet.Attributes;
using Berth.Oci.Digests;

namespace Berth.Benchmarks;

/// <summary>Digest parsing: every by-digest request and every descriptor in a pushed manifest.</summary>
[MemoryDiagnoser]
public class DigestBenchmarks
{
    private readonly string _sha256 = Samples.Sha256;
    private readonly string _sha512 = Samples.Sha512;
    private readonly string _unknownAlgorithm = "md5:d41d8cd98f00b204e9800998ecf8427e";
    private readonly string _upperCase = Samples.Sha256.ToUpperInvariant();
    private readonly string _tag = "v1.2.3-alpine";

    [Benchmark(Baseline = true)]
    public bool ParseSha256() => Digest.TryParse(_sha256, out _);

    [Benchmark]
    public bool ParseSha512() => Digest.TryParse(_sha512, out _);

    [Benchmark]
    public bool RejectUnknownAlgorithm() => Digest.TryParse(_unknownAlgorithm, out _);

    [Benchmark]
    public bool RejectUpperCaseHex() => Digest.TryParse(_upperCase, out _);

    /// <summary>A manifest reference that is a tag: the digest check must fail fast.</summary>
    [Benchmark]
    public bool RejectTag() => Digest.TryParse(_tag, out _);

    [Benchmark]
    public string FormatSha256() => Digest.Parse(_sha256).ToString();
}
