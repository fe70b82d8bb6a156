using Berth.Oci.Preconditions;

namespace Berth.Oci.Tests.Preconditions;

/// <summary>HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, and the two obsolete forms recipients must accept.</summary>
public sealed class HttpDateTests
{
    private static readonly DateTimeOffset Example = new(1994, 11, 6, 8, 49, 37, TimeSpan.Zero);

    [Theory]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT")] // IMF-fixdate
    [InlineData("Sunday, 06-Nov-94 08:49:37 GMT")] // obsolete RFC 850 format
    [InlineData("Sun Nov  6 08:49:37 1994")] // ANSI C asctime() format
    [InlineData("  Sun, 06 Nov 1994 08:49:37 GMT ")] // surrounding whitespace is not part of the value
    public void TheThreeFormsOfRfc9110_Parse(string text)
    {
        Assert.True(HttpDate.TryParse(text, out var value));
        Assert.Equal(Example, value);
        Assert.Equal(TimeSpan.Zero, value.Offset);
    }

    [Fact]
    public void AsctimeWithTwoDigitDay_Parses()
    {
        Assert.True(HttpDate.TryParse("Wed Nov 16 08:49:37 1994", out var value));
        Assert.Equal(new DateTimeOffset(1994, 11, 16, 8, 49, 37, TimeSpan.Zero), value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("yesterday")]
    [InlineData("2026-03-01T12:00:00Z")] // ISO 8601 is not an HTTP-date
    [InlineData("Sun, 06 Nov 1994 08:49:37 +0100")]
    [InlineData("Sun, 06 Nov 1994 08:49:37")]
    [InlineData("Sun, 31 Feb 1994 08:49:37 GMT")]
    [InlineData("Sun, 06 Nov 1994 25:49:37 GMT")]
    public void NonDates_AreRejected(string? text) => Assert.False(HttpDate.TryParse(text, out _));

    [Fact]
    public void Format_IsImfFixdateInGmt()
    {
        Assert.Equal("Sun, 06 Nov 1994 08:49:37 GMT", HttpDate.Format(Example));
        Assert.Equal("Sun, 06 Nov 1994 08:49:37 GMT", HttpDate.Format(Example.ToOffset(TimeSpan.FromHours(2))));
    }

    [Fact]
    public void Format_ThenParse_RoundTripsToTheSecond()
    {
        var now = new DateTimeOffset(2026, 7, 16, 10, 11, 12, 987, TimeSpan.Zero);
        Assert.True(HttpDate.TryParse(HttpDate.Format(now), out var parsed));
        Assert.Equal(HttpDate.Truncate(now), parsed);
    }

    [Fact]
    public void Truncate_DropsSubSecondPrecisionAndNormalisesToUtc()
    {
        var value = new DateTimeOffset(2026, 7, 16, 12, 11, 12, 987, TimeSpan.FromHours(2)).AddTicks(5);
        var truncated = HttpDate.Truncate(value);
        Assert.Equal(new DateTimeOffset(2026, 7, 16, 10, 11, 12, TimeSpan.Zero), truncated);
        Assert.Equal(TimeSpan.Zero, truncated.Offset);
        Assert.Equal(truncated, HttpDate.Truncate(truncated));
    }
}
