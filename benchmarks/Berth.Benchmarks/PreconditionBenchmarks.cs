using BenchmarkDotNet.Attributes;
using Berth.Oci.Digests;
using Berth.Oci.Preconditions;

namespace Berth.Benchmarks;

/// <summary>
/// Entity-tag list parsing and RFC 9110 §13.2.2 evaluation: run on every conditional read (the 304
/// path) and twice on every conditional write.
/// </summary>
[MemoryDiagnoser]
public class PreconditionBenchmarks
{
    private static readonly EntityTag Current = EntityTag.ForDigest(Digest.Parse(Samples.Sha256));

    private readonly string[] _single = [$"\"{Samples.Sha256}\""];
    private readonly string[] _list = [$"\"{Samples.Config}\", W/\"{Samples.Sha512}\", \"{Samples.Sha256}\""];
    private readonly string[] _star = ["*"];
    private readonly string[] _bare = [Samples.Sha256];
    private readonly string[] _malformed = [$"\"{Samples.Sha256}"];
    private readonly string[] _none = [];
    private readonly string _modifiedSince = "Sun, 06 Nov 1994 08:49:37 GMT";

    private RequestPreconditions _ifNoneMatch = RequestPreconditions.None;
    private RequestPreconditions _ifMatch = RequestPreconditions.None;
    private RequestPreconditions _ifMatchStale = RequestPreconditions.None;
    private ResourceState _state;

    [GlobalSetup]
    public void Setup()
    {
        _ifNoneMatch = RequestPreconditions.ForRead(_none, _single, null, null);
        _ifMatch = RequestPreconditions.ForWrite(_list, _none, null, out _)!;
        _ifMatchStale = RequestPreconditions.ForWrite([$"\"{Samples.Config}\""], _none, null, out _)!;
        _state = ResourceState.Present(Current, DateTimeOffset.UnixEpoch);
    }

    [Benchmark(Baseline = true)]
    public bool ParseSingleTag() => EntityTagList.TryParse(_single, out _);

    [Benchmark]
    public bool ParseThreeTags() => EntityTagList.TryParse(_list, out _);

    [Benchmark]
    public bool ParseStar() => EntityTagList.TryParse(_star, out _);

    [Benchmark]
    public bool ParseBareDigest() => EntityTagList.TryParse(_bare, out _);

    [Benchmark]
    public bool RejectUnterminated() => EntityTagList.TryParse(_malformed, out _);

    /// <summary>What a conditional GET costs before the store is consulted: header parsing.</summary>
    [Benchmark]
    public RequestPreconditions ForReadIfNoneMatch() => RequestPreconditions.ForRead(_none, _single, null, null);

    [Benchmark]
    public RequestPreconditions ForReadIfModifiedSince() => RequestPreconditions.ForRead(_none, _none, _modifiedSince, null);

    [Benchmark]
    public RequestPreconditions? ForWriteIfMatch() => RequestPreconditions.ForWrite(_single, _none, null, out _);

    [Benchmark]
    public PreconditionOutcome EvaluateNotModified() => PreconditionEvaluator.Evaluate(_ifNoneMatch, _state, isSafeMethod: true);

    [Benchmark]
    public PreconditionOutcome EvaluateIfMatchProceeds() => PreconditionEvaluator.Evaluate(_ifMatch, _state, isSafeMethod: false);

    [Benchmark]
    public PreconditionOutcome EvaluateIfMatchFails() => PreconditionEvaluator.Evaluate(_ifMatchStale, _state, isSafeMethod: false);

    [Benchmark]
    public PreconditionOutcome EvaluateUnconditional() => PreconditionEvaluator.Evaluate(RequestPreconditions.None, _state, isSafeMethod: true);
}
