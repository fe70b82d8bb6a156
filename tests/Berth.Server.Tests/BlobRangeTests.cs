using System.Net;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.RegistryContent;
using static Berth.Server.Tests.Support.RepositoryNames;

namespace Berth.Server.Tests;

/// <summary>
/// Range requests on blob GET (distribution-spec "Pulling blobs": SHOULD support RFC 9110 §14). The
/// new conformance suite requires 206 for these, and 416 for unsatisfiable or inverted ranges.
/// </summary>
public sealed class BlobRangeTests(InProcessBerthFixture shared) : IClassFixture<InProcessBerthFixture>, IAsyncLifetime
{
    private const int Size = 2048;
    private static readonly byte[] Content = RandomBytes(Size, seed: 2048);

    private readonly HttpClient _client = shared.Client;
    private readonly string _name = Repo(nameof(BlobRangeTests));
    private string _digest = "";

    public async Task InitializeAsync() => _digest = await _client.PushBlobAsync(_name, Content);

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    // The conformance suite's table (run with a 2048-byte blob).
    [InlineData("bytes=500-1499", 500, 1499)]
    [InlineData("bytes=500-", 500, 2047)]
    [InlineData("bytes=-500", 1548, 2047)]
    [InlineData("bytes=2000-5000", 2000, 2047)]
    // Edges: first and last byte, a suffix longer than the blob.
    [InlineData("bytes=0-0", 0, 0)]
    [InlineData("bytes=2047-2047", 2047, 2047)]
    [InlineData("bytes=-5000", 0, 2047)]
    public async Task SatisfiableRange_Returns206WithThatSlice(string range, int first, int last)
    {
        using var response = await GetWithRangeAsync(range);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(last - first + 1, response.Content.Headers.ContentLength);
        Assert.Equal($"bytes {first}-{last}/{Size}", response.Header("Content-Range"));
        Assert.Equal(_digest, response.Header("Docker-Content-Digest"));
        Assert.Equal(Content[first..(last + 1)], await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    // RFC 9110 would allow ignoring an inverted range; the suite demands 416 for bytes=500-0.
    [InlineData("bytes=500-0")]
    [InlineData("bytes=5000-10000")]
    [InlineData("bytes=2048-")]
    [InlineData("bytes=-0")]
    public async Task UnsatisfiableRange_Returns416WithTheLength(string range)
    {
        using var response = await GetWithRangeAsync(range);

        // RFC 9110 §15.5.17: 416 carries "Content-Range: bytes */<length>".
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal($"bytes */{Size}", response.Header("Content-Range"));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    // RFC 9110 §14.2: a Range the server does not understand, or chooses not to serve (several
    // ranges), is ignored and the whole blob sent.
    [InlineData("items=0-10")]
    [InlineData("bytes=0-1,5-6")]
    [InlineData("bytes=abc-def")]
    public async Task UnusableRange_IsIgnored(string range)
    {
        using var response = await GetWithRangeAsync(range);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Size, response.Content.Headers.ContentLength);
        Assert.Equal(Content, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task FullGet_AdvertisesByteRanges()
    {
        using var response = await _client.GetAsync($"/v2/{_name}/blobs/{_digest}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("bytes", response.Header("Accept-Ranges"));
        Assert.False(response.Content.Headers.Contains("Content-Range"));
    }

    [Fact]
    public async Task RangeOnEmptyBlob_Returns416()
    {
        var name = Repo();
        var digest = await _client.PushBlobAsync(name, []);
        using var response = await _client.SendAsync(HttpMethod.Get, $"/v2/{name}/blobs/{digest}", [("Range", "bytes=0-0")]);

        // No byte of an empty representation can satisfy a range.
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal("bytes */0", response.Header("Content-Range"));
    }

    private Task<HttpResponseMessage> GetWithRangeAsync(string range) =>
        _client.SendAsync(HttpMethod.Get, $"/v2/{_name}/blobs/{_digest}", [("Range", range)]);
}
