using Berth.Oci.Preconditions;

namespace Berth.Oci.Tests.Preconditions;

/// <summary>
/// RFC 9110 §13.1.5 If-Range: a Range is honoured only when the validator names the current
/// representation exactly — a strong entity tag, or the exact Last-Modified date. Anything else
/// (other tag, weak tag, other date, garbage) means "send the whole representation" (200).
/// </summary>
public sealed class IfRangeTests
{
    private static readonly EntityTag Current = new("sha256:" + new string('b', 64), false);
    private static readonly DateTimeOffset Stored = new(2026, 3, 1, 12, 0, 0, 250, TimeSpan.Zero);

    private static bool Allows(string? ifRange, DateTimeOffset? lastModified = null) =>
        PreconditionEvaluator.IfRangeAllowsPartial(ifRange, Current, lastModified ?? Stored);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Absent_AllowsTheRange(string? ifRange) => Assert.True(Allows(ifRange));

    [Fact]
    public void CurrentStrongTag_AllowsTheRange()
    {
        // Case 52.
        Assert.True(Allows($"\"{Current.Opaque}\""));
        Assert.True(Allows($" \"{Current.Opaque}\" "));
    }

    [Fact]
    public void OtherTag_SendsTheWholeBody()
    {
        // Case 53.
        Assert.False(Allows("\"sha256:" + new string('c', 64) + "\""));
    }

    [Fact]
    public void WeakTag_SendsTheWholeBody()
    {
        // Case 53: If-Range requires strong comparison; clients must not send weak tags.
        Assert.False(Allows($"W/\"{Current.Opaque}\""));
    }

    [Fact]
    public void ListOfTags_SendsTheWholeBody()
    {
        // If-Range carries a single entity-tag, not a list.
        Assert.False(Allows($"\"{Current.Opaque}\", \"x\""));
    }

    [Fact]
    public void Star_SendsTheWholeBody() => Assert.False(Allows("*"));

    [Fact]
    public void MalformedTag_SendsTheWholeBody() => Assert.False(Allows($"\"{Current.Opaque}"));

    [Fact]
    public void ExactLastModifiedDate_AllowsTheRange()
    {
        Assert.True(Allows(HttpDate.Format(Stored)));
    }

    [Fact]
    public void OtherDate_SendsTheWholeBody()
    {
        Assert.False(Allows(HttpDate.Format(Stored.AddSeconds(-1))));
        Assert.False(Allows(HttpDate.Format(Stored.AddSeconds(1))));
    }

    [Fact]
    public void DateWithoutKnownModificationTime_SendsTheWholeBody()
    {
        Assert.False(PreconditionEvaluator.IfRangeAllowsPartial(HttpDate.Format(Stored), Current, null));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")]
    public void Garbage_SendsTheWholeBody(string ifRange) => Assert.False(Allows(ifRange));
}
