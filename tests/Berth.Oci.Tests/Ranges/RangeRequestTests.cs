using Berth.Oci.Ranges;

namespace Berth.Oci.Tests.Ranges;

/// <summary>The Range header of a blob GET (RFC 9110 §14.1.2 byte ranges, §14.2 Range), resolved against a 100-byte blob.</summary>
public sealed class RangeRequestTests
{
    private const long Length = 100;

    [Theory]
    [InlineData("bytes=0-9", 0, 9)]
    [InlineData("bytes=10-", 10, 99)]
    [InlineData("bytes=90-1000", 90, 99)] // a last position past the end is clamped (§14.1.2)
    [InlineData("bytes=-10", 90, 99)] // suffix: the last 10 bytes
    [InlineData("bytes=-1000", 0, 99)] // a suffix longer than the blob is the whole blob
    [InlineData("BYTES=5-5", 5, 5)] // the range unit is case-insensitive (§14.1)
    [InlineData(" bytes= 1 - 2 ", 1, 2)]
    public void SatisfiableRange_IsPartial(string header, long first, long last)
    {
        Assert.Equal(RangeRequestKind.Partial, RangeRequest.Resolve(header, Length, out var range));
        Assert.Equal(new ByteRange(first, last), range);
        Assert.Equal(last - first + 1, range.Length);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("items=0-9")] // unknown unit: ignored (§14.2)
    [InlineData("bytes=0-9,20-29")] // only single ranges are served; a server may ignore the header
    [InlineData("bytes=abc")]
    [InlineData("bytes=a-9")]
    [InlineData("bytes=0-z")]
    [InlineData("bytes=+1-5")] // no sign allowed in a position
    [InlineData("bytes=--5")]
    public void UnusableHeader_MeansTheWholeBlob(string? header)
    {
        Assert.Equal(RangeRequestKind.Full, RangeRequest.Resolve(header, Length, out _));
    }

    [Theory]
    [InlineData("bytes=100-")] // first position at the end
    [InlineData("bytes=200-300")]
    [InlineData("bytes=-0")] // an empty suffix selects nothing
    [InlineData("bytes=9-1")] // last before first: 416, as clients and the conformance suite expect
    public void RangeSelectingNothing_IsUnsatisfiable(string header)
    {
        Assert.Equal(RangeRequestKind.Unsatisfiable, RangeRequest.Resolve(header, Length, out _));
    }

    [Fact]
    public void AnySuffixOfAnEmptyBlob_IsUnsatisfiable()
    {
        Assert.Equal(RangeRequestKind.Unsatisfiable, RangeRequest.Resolve("bytes=-5", 0, out _));
        Assert.Equal(RangeRequestKind.Unsatisfiable, RangeRequest.Resolve("bytes=0-", 0, out _));
    }

    [Fact]
    public void HugePositions_DoNotOverflow()
    {
        Assert.Equal(RangeRequestKind.Partial, RangeRequest.Resolve($"bytes=0-{long.MaxValue}", Length, out var range));
        Assert.Equal(new ByteRange(0, 99), range);
        Assert.Equal(RangeRequestKind.Full, RangeRequest.Resolve("bytes=0-99999999999999999999", Length, out _));
    }
}
