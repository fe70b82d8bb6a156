using Berth.Oci.Preconditions;

namespace Berth.Oci.Tests.Preconditions;

/// <summary>
/// RFC 9110 §13.2.2, the order of evaluation: If-Match, else If-Unmodified-Since; then If-None-Match,
/// else (GET/HEAD only) If-Modified-Since. If-None-Match fails as 304 on safe methods and 412 on others.
/// </summary>
public sealed class PreconditionEvaluatorTests
{
    private static readonly EntityTag D1 = new("sha256:" + new string('1', 64), false);
    private static readonly EntityTag D2 = new("sha256:" + new string('2', 64), false);
    private static readonly DateTimeOffset Modified = new(2026, 3, 1, 12, 0, 0, 500, TimeSpan.Zero);
    private static readonly ResourceState Current = ResourceState.Present(D1, Modified);
    private static readonly ResourceState CurrentWithoutDate = ResourceState.Present(D1);

    private static EntityTagList List(string value)
    {
        Assert.True(EntityTagList.TryParse([value], out var list));
        return list!;
    }

    private static PreconditionOutcome Get(RequestPreconditions conditions, ResourceState? state = null) =>
        PreconditionEvaluator.Evaluate(conditions, state ?? Current, isSafeMethod: true);

    private static PreconditionOutcome Put(RequestPreconditions conditions, ResourceState? state = null) =>
        PreconditionEvaluator.Evaluate(conditions, state ?? Current, isSafeMethod: false);

    [Fact]
    public void NoConditions_Proceed()
    {
        Assert.Equal(PreconditionOutcome.Proceed, Get(RequestPreconditions.None));
        Assert.Equal(PreconditionOutcome.Proceed, Put(RequestPreconditions.None));
        Assert.Equal(PreconditionOutcome.Proceed, Put(RequestPreconditions.None, ResourceState.Missing));
    }

    // Step 1: If-Match (§13.1.1), strong comparison.

    [Fact]
    public void IfMatch_CurrentTag_Proceeds()
    {
        Assert.Equal(PreconditionOutcome.Proceed, Put(new() { IfMatch = List($"\"x\", {D1}") }));
        Assert.Equal(PreconditionOutcome.Proceed, Get(new() { IfMatch = List($"{D1}") }));
    }

    [Fact]
    public void IfMatch_OtherTag_FailsWith412OnEveryMethod()
    {
        // §13.1.1: a false If-Match is 412 for GET too (design doc case 13), never 304.
        Assert.Equal(PreconditionOutcome.Failed, Put(new() { IfMatch = List($"{D2}") }));
        Assert.Equal(PreconditionOutcome.Failed, Get(new() { IfMatch = List($"{D2}") }));
    }

    [Fact]
    public void IfMatch_WeakTag_NeverMatches()
    {
        // Case 29: strong comparison, so W/"D1" does not match "D1".
        Assert.Equal(PreconditionOutcome.Failed, Put(new() { IfMatch = List($"W/\"{D1.Opaque}\"") }));
    }

    [Fact]
    public void IfMatch_WeakCurrentRepresentation_NeverMatches()
    {
        var weakState = ResourceState.Present(D1 with { IsWeak = true }, Modified);
        Assert.Equal(PreconditionOutcome.Failed, Put(new() { IfMatch = List($"{D1}") }, weakState));
    }

    [Fact]
    public void IfMatchStar_DependsOnlyOnExistence()
    {
        Assert.Equal(PreconditionOutcome.Proceed, Put(new() { IfMatch = EntityTagList.Any }));
        // Cases 24/25: If-Match (even "*") on a missing resource is 412.
        Assert.Equal(PreconditionOutcome.Failed, Put(new() { IfMatch = EntityTagList.Any }, ResourceState.Missing));
        Assert.Equal(PreconditionOutcome.Failed, Put(new() { IfMatch = List($"{D1}") }, ResourceState.Missing));
    }

    [Fact]
    public void IfMatch_EmptyOpaqueTag_Fails()
    {
        Assert.Equal(PreconditionOutcome.Failed, Put(new() { IfMatch = List("\"\"") }));
    }

    // Step 2: If-Unmodified-Since (§13.1.4), only without If-Match.

    [Fact]
    public void IfUnmodifiedSince_BeforeLastChange_Fails()
    {
        Assert.Equal(PreconditionOutcome.Failed, Put(new() { IfUnmodifiedSince = Modified.AddSeconds(-1) }));
        Assert.Equal(PreconditionOutcome.Failed, Get(new() { IfUnmodifiedSince = Modified.AddHours(-1) }));
    }

    [Fact]
    public void IfUnmodifiedSince_AtOrAfterLastChange_Proceeds()
    {
        // HTTP dates have one-second resolution: the same second counts as "not modified since".
        Assert.Equal(PreconditionOutcome.Proceed, Put(new() { IfUnmodifiedSince = HttpDate.Truncate(Modified) }));
        Assert.Equal(PreconditionOutcome.Proceed, Put(new() { IfUnmodifiedSince = Modified.AddDays(1) }));
    }

    [Fact]
    public void IfUnmodifiedSince_IsIgnoredWhenIfMatchIsPresent()
    {
        // §13.1.4 / case 38: If-Match wins; the stale date is not evaluated at all.
        var conditions = new RequestPreconditions { IfMatch = List($"{D1}"), IfUnmodifiedSince = Modified.AddYears(-10) };
        Assert.Equal(PreconditionOutcome.Proceed, Put(conditions));
        Assert.Equal(PreconditionOutcome.Proceed, Get(conditions));
    }

    [Fact]
    public void IfUnmodifiedSince_IsIgnoredWithoutAModificationDate()
    {
        // §13.1.4: ignored when the resource has no modification date (by-digest content, missing tags).
        Assert.Equal(PreconditionOutcome.Proceed, Put(new() { IfUnmodifiedSince = Modified.AddYears(-10) }, CurrentWithoutDate));
        Assert.Equal(PreconditionOutcome.Proceed, Put(new() { IfUnmodifiedSince = Modified.AddYears(-10) }, ResourceState.Missing));
    }

    // Step 3: If-None-Match (§13.1.2), weak comparison.

    [Fact]
    public void IfNoneMatch_CurrentTag_Is304ForSafeMethodsAnd412Otherwise()
    {
        Assert.Equal(PreconditionOutcome.NotModified, Get(new() { IfNoneMatch = List($"{D1}") }));
        Assert.Equal(PreconditionOutcome.Failed, Put(new() { IfNoneMatch = List($"{D1}") }));
    }

    [Fact]
    public void IfNoneMatch_UsesWeakComparison()
    {
        // Case 9: W/"D1" matches "D1" for If-None-Match.
        Assert.Equal(PreconditionOutcome.NotModified, Get(new() { IfNoneMatch = List($"W/\"{D1.Opaque}\"") }));
        Assert.Equal(PreconditionOutcome.Failed, Put(new() { IfNoneMatch = List($"W/\"{D1.Opaque}\"") }));
    }

    [Fact]
    public void IfNoneMatch_OtherTags_Proceed()
    {
        Assert.Equal(PreconditionOutcome.Proceed, Get(new() { IfNoneMatch = List($"{D2}") }));
        Assert.Equal(PreconditionOutcome.Proceed, Put(new() { IfNoneMatch = List($"{D2}, \"x\"") }));
        Assert.Equal(PreconditionOutcome.Proceed, Put(new() { IfNoneMatch = List($"{D1}") }, ResourceState.Missing));
    }

    [Fact]
    public void IfNoneMatchStar_DependsOnlyOnExistence()
    {
        Assert.Equal(PreconditionOutcome.NotModified, Get(new() { IfNoneMatch = EntityTagList.Any }));
        // Case 27: an existing tag with If-None-Match: * is 412 whatever the body.
        Assert.Equal(PreconditionOutcome.Failed, Put(new() { IfNoneMatch = EntityTagList.Any }));
        // Case 26: create-only succeeds on a missing tag.
        Assert.Equal(PreconditionOutcome.Proceed, Put(new() { IfNoneMatch = EntityTagList.Any }, ResourceState.Missing));
    }

    [Fact]
    public void IfMatchIsEvaluatedBeforeIfNoneMatch()
    {
        // Case 15: a failing If-Match is 412 even though If-None-Match alone would give 304.
        var conditions = new RequestPreconditions { IfMatch = List($"{D2}"), IfNoneMatch = List($"{D1}") };
        Assert.Equal(PreconditionOutcome.Failed, Get(conditions));
    }

    [Fact]
    public void IfUnmodifiedSinceIsEvaluatedBeforeIfNoneMatch()
    {
        var conditions = new RequestPreconditions { IfUnmodifiedSince = Modified.AddHours(-1), IfNoneMatch = List($"{D1}") };
        Assert.Equal(PreconditionOutcome.Failed, Get(conditions));
    }

    [Fact]
    public void PassingIfMatch_StillEvaluatesIfNoneMatch()
    {
        var conditions = new RequestPreconditions { IfMatch = List($"{D1}"), IfNoneMatch = List($"{D1}") };
        Assert.Equal(PreconditionOutcome.NotModified, Get(conditions));
        Assert.Equal(PreconditionOutcome.Failed, Put(conditions));
    }

    // Step 4: If-Modified-Since (§13.1.3), GET/HEAD only, only without If-None-Match.

    [Fact]
    public void IfModifiedSince_AtOrAfterLastChange_Is304()
    {
        // Case 17.
        Assert.Equal(PreconditionOutcome.NotModified, Get(new() { IfModifiedSince = HttpDate.Truncate(Modified) }));
        Assert.Equal(PreconditionOutcome.NotModified, Get(new() { IfModifiedSince = Modified.AddMinutes(1) }));
    }

    [Fact]
    public void IfModifiedSince_BeforeLastChange_Proceeds()
    {
        Assert.Equal(PreconditionOutcome.Proceed, Get(new() { IfModifiedSince = Modified.AddSeconds(-1) }));
    }

    [Fact]
    public void IfModifiedSince_IsIgnoredWhenIfNoneMatchIsPresent()
    {
        // Case 16: If-None-Match "D2" with a future If-Modified-Since is a 200.
        var conditions = new RequestPreconditions { IfNoneMatch = List($"{D2}"), IfModifiedSince = Modified.AddYears(1) };
        Assert.Equal(PreconditionOutcome.Proceed, Get(conditions));
    }

    [Fact]
    public void IfModifiedSince_IsIgnoredOnUnsafeMethods()
    {
        // Case 40: a PUT with If-Modified-Since is not conditional.
        Assert.Equal(PreconditionOutcome.Proceed, Put(new() { IfModifiedSince = Modified.AddYears(1) }));
    }

    [Fact]
    public void IfModifiedSince_IsIgnoredWithoutAModificationDate()
    {
        Assert.Equal(PreconditionOutcome.Proceed, Get(new() { IfModifiedSince = Modified.AddYears(1) }, CurrentWithoutDate));
    }

    [Fact]
    public void FailingIfMatch_WinsOverIfModifiedSince()
    {
        var conditions = new RequestPreconditions { IfMatch = List($"{D2}"), IfModifiedSince = Modified.AddYears(1) };
        Assert.Equal(PreconditionOutcome.Failed, Get(conditions));
    }

    [Fact]
    public void MissingResource_OnlyIfMatchCanFail()
    {
        var dates = new RequestPreconditions
        {
            IfNoneMatch = EntityTagList.Any,
            IfModifiedSince = Modified,
            IfUnmodifiedSince = Modified.AddYears(-1),
        };
        Assert.Equal(PreconditionOutcome.Proceed, Get(dates, ResourceState.Missing));
        Assert.Equal(PreconditionOutcome.Proceed, Put(dates, ResourceState.Missing));
    }

    // RequestPreconditions: the two parsing modes that feed the evaluator.

    [Fact]
    public void ForRead_IgnoresMalformedHeaders()
    {
        // Case 19: a malformed conditional on a safe method is ignored rather than failing the read.
        var conditions = RequestPreconditions.ForRead(["garbage"], ["\"unterminated"], "not a date", "yesterday");
        Assert.Null(conditions.IfMatch);
        Assert.Null(conditions.IfNoneMatch);
        Assert.Null(conditions.IfModifiedSince);
        Assert.Null(conditions.IfUnmodifiedSince);
        Assert.Equal(PreconditionOutcome.Proceed, Get(conditions));
    }

    [Fact]
    public void ForRead_ParsesEveryFieldLineAndDate()
    {
        var conditions = RequestPreconditions.ForRead([$"{D2}", $"{D1}"], [], "Sun, 01 Mar 2026 12:00:00 GMT", null);
        Assert.Equal(2, conditions.IfMatch!.Tags.Count);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero), conditions.IfModifiedSince);
    }

    [Theory]
    [InlineData("\"unterminated", null, null, "If-Match")]
    [InlineData("", null, null, "If-Match")]
    [InlineData("*, \"a\"", null, null, "If-Match")]
    [InlineData(null, "garbage", null, "If-None-Match")]
    [InlineData(null, null, "yesterday", "If-Unmodified-Since")]
    public void ForWrite_MalformedHeaderIsAnErrorNamingTheHeader(string? ifMatch, string? ifNoneMatch, string? ifUnmodifiedSince, string named)
    {
        // Design doc §5.2: fail closed on writes (400) instead of dropping the condition.
        var conditions = RequestPreconditions.ForWrite(
            ifMatch is null ? [] : [ifMatch], ifNoneMatch is null ? [] : [ifNoneMatch], ifUnmodifiedSince, out var error);
        Assert.Null(conditions);
        Assert.NotNull(error);
        Assert.Equal(400, error.Status);
        Assert.Null(error.Code);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was written", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForWrite_WellFormedHeadersParse()
    {
        var conditions = RequestPreconditions.ForWrite(["\"a\"", "\"b\""], ["*"], "Sun, 01 Mar 2026 12:00:00 GMT", out var error);
        Assert.Null(error);
        Assert.NotNull(conditions);
        Assert.Equal(2, conditions.IfMatch!.Tags.Count);
        Assert.True(conditions.IfNoneMatch!.IsAny);
        Assert.NotNull(conditions.IfUnmodifiedSince);
        Assert.True(conditions.AppliesToWrites);
    }

    [Fact]
    public void ForWrite_NoHeaders_IsUnconditional()
    {
        var conditions = RequestPreconditions.ForWrite([], [], null, out var error);
        Assert.Null(error);
        Assert.False(conditions!.AppliesToWrites);
    }

    [Fact]
    public void AppliesToWrites_IgnoresIfModifiedSince()
    {
        // If-Modified-Since alone does not make a write conditional (§13.1.3), so it must not trip the
        // multi-tag-push rule or satisfy a require-preconditions policy.
        Assert.False(new RequestPreconditions { IfModifiedSince = Modified }.AppliesToWrites);
        Assert.True(new RequestPreconditions { IfUnmodifiedSince = Modified }.AppliesToWrites);
        Assert.True(new RequestPreconditions { IfNoneMatch = EntityTagList.Any }.AppliesToWrites);
    }
}
