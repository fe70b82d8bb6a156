using Berth.Oci.Ranges;

namespace Berth.Oci.Tests.Ranges;

/// <summary>
/// The Content-Range of a chunked upload PATCH: the distribution spec's "&lt;start&gt;-&lt;end&gt;" and
/// RFC 9110 §14.4's "bytes start-end/total", which clients also send.
/// </summary>
public sealed class ChunkRangeTests
{
    [Theory]
    [InlineData("0-99", 0, 99)]
    [InlineData("100-100", 100, 100)]
    [InlineData("bytes 0-99/100", 0, 99)]
    [InlineData("bytes 0-99/*", 0, 99)]
    [InlineData("bytes=5-9", 5, 9)]
    [InlineData("Bytes 5-9/10", 5, 9)]
    [InlineData("  7-8  ", 7, 8)]
    public void SpecAndRfcForms_AreAccepted(string header, long first, long last)
    {
        Assert.True(ChunkRange.TryParse(header, out var range));
        Assert.Equal(new ByteRange(first, last), range);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("99")]
    [InlineData("-5")] // no start
    [InlineData("5-")] // no end
    [InlineData("9-1")] // end before start
    [InlineData("a-b")]
    [InlineData("+1-5")]
    [InlineData("1-+5")]
    [InlineData("bytes */100")] // an unsatisfied-range form is not a chunk
    [InlineData("0-99999999999999999999")]
    public void AnythingElse_IsRefused(string? header)
    {
        Assert.False(ChunkRange.TryParse(header, out _));
    }
}
