using BenchmarkDotNet.Attributes;
using Berth.Oci.Manifests;

namespace Berth.Benchmarks;

/// <summary>Manifest validation on push: JSON parse, media-type checks and descriptor extraction.</summary>
[MemoryDiagnoser]
public class ManifestBenchmarks
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private const string IndexType = "application/vnd.oci.image.index.v1+json";

    private ReadOnlyMemory<byte> _oneLayer;
    private ReadOnlyMemory<byte> _tenLayers;
    private ReadOnlyMemory<byte> _hundredLayers;
    private ReadOnlyMemory<byte> _index;
    private ReadOnlyMemory<byte> _mismatched;

    [GlobalSetup]
    public void Setup()
    {
        _oneLayer = Samples.ImageManifest(1);
        _tenLayers = Samples.ImageManifest(10);
        _hundredLayers = Samples.ImageManifest(100);
        _index = Samples.Index(8);
        _mismatched = Samples.ImageManifest(1);
    }

    [Benchmark(Baseline = true)]
    public ParsedManifest? ImageOneLayer() => ManifestParser.Parse(_oneLayer, ManifestType, out _);

    [Benchmark]
    public ParsedManifest? ImageTenLayers() => ManifestParser.Parse(_tenLayers, ManifestType, out _);

    [Benchmark]
    public ParsedManifest? ImageHundredLayers() => ManifestParser.Parse(_hundredLayers, ManifestType, out _);

    [Benchmark]
    public ParsedManifest? IndexEightPlatforms() => ManifestParser.Parse(_index, IndexType, out _);

    /// <summary>Refused: body mediaType differs from Content-Type.</summary>
    [Benchmark]
    public ParsedManifest? RejectContentTypeMismatch() => ManifestParser.Parse(_mismatched, IndexType, out _);
}
