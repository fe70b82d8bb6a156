using System.Net;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.ManifestBuilder;
using static Berth.Server.Tests.Support.RepositoryNames;

namespace Berth.Server.Tests;

/// <summary>distribution-spec "Listing Tags" (end-8a/8b): order, n, last, Link pagination.</summary>
public sealed class TagListTests(InProcessBerthFixture shared) : IClassFixture<InProcessBerthFixture>, IAsyncLifetime
{
    /// <summary>Mixed case, digits and separators, so byte order differs from case-insensitive order.</summary>
    private static readonly string[] Tags = ["v9", "latest", "B", "a", "A", "_x", "1", "a.b", "a-b", "Z9", "v10", "a_b"];

    /// <summary>"ASCIIbetical" order: Go's sort.Strings, i.e. ordinal byte order.</summary>
    private static readonly string[] Sorted = [.. Tags.Order(StringComparer.Ordinal)];

    private readonly HttpClient _client = shared.Client;
    private readonly string _name = Repo(nameof(TagListTests));

    public async Task InitializeAsync()
    {
        // xunit runs this before every test; the tags are pushed once.
        using (var existing = await _client.GetAsync($"/v2/{_name}/tags/list"))
        {
            if (existing.StatusCode == HttpStatusCode.OK) return;
        }
        var image = await _client.PushImageBlobsAsync(_name, seed: 130);
        var body = Bytes(image);
        foreach (var tag in Tags) await _client.PushManifestAsync(_name, body, MediaTypes.OciManifest, tag);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task List_ReturnsEveryTagInAsciibeticalOrder()
    {
        using var response = await _client.GetAsync($"/v2/{_name}/tags/list");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(SpecHttp.NextLink(response));
        var json = await response.ReadJsonAsync();
        Assert.Equal(_name, json.GetProperty("name").GetString());
        Assert.Equal(Sorted, json.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["1", "A", "B", "Z9", "_x", "a", "a-b", "a.b", "a_b", "latest", "v10", "v9"], Sorted);
    }

    [Fact]
    public async Task N_ReturnsExactlyNWithLinkToTheRest()
    {
        using var response = await _client.GetAsync($"/v2/{_name}/tags/list?n=5");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // end-8b: exactly n when more exist (the legacy suite checks the count), and a Link to the next page.
        Assert.Equal(Sorted[..5], await TagsOfAsync(response));
        Assert.Equal($"/v2/{_name}/tags/list?n=5&last={Sorted[4]}", SpecHttp.NextLink(response));
    }

    [Fact]
    public async Task FollowingLinks_VisitsEveryTagOnce()
    {
        var seen = new List<string>();
        string? next = $"/v2/{_name}/tags/list?n=5";
        var pages = 0;
        while (next is not null)
        {
            // Links are followed as given: an absolute path on the same host.
            using var response = await _client.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await TagsOfAsync(response);
            Assert.InRange(page.Count, 1, 5);
            seen.AddRange(page);
            next = SpecHttp.NextLink(response);
            Assert.True(++pages <= 3, "pagination did not end");
        }
        Assert.Equal(3, pages);
        Assert.Equal(Sorted, seen);
    }

    [Theory]
    [InlineData(12)]
    [InlineData(100)]
    public async Task N_AtLeastTheCount_ReturnsAllWithoutLink(int n)
    {
        using var response = await _client.GetAsync($"/v2/{_name}/tags/list?n={n}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Sorted, await TagsOfAsync(response));
        Assert.Null(SpecHttp.NextLink(response));
    }

    [Fact]
    public async Task NZero_ReturnsEmptyListAndNoLink()
    {
        // end-8b: "If n is zero, the registry MUST return an empty list and MUST NOT include a Link header".
        using var response = await _client.GetAsync($"/v2/{_name}/tags/list?n=0");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await TagsOfAsync(response));
        Assert.Null(SpecHttp.NextLink(response));
    }

    [Fact]
    public async Task LastWithoutN_ReturnsEverythingAfterIt()
    {
        // The new suite: last = sorted[len/2 - 1], no n; every tag up to last absent, every later one present.
        var last = Sorted[Sorted.Length / 2 - 1];
        using var response = await _client.GetAsync($"/v2/{_name}/tags/list?last={last}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Sorted[(Sorted.Length / 2)..], await TagsOfAsync(response));
        Assert.Null(SpecHttp.NextLink(response));
    }

    [Fact]
    public async Task LastWithN_StartsAfterLast()
    {
        using var response = await _client.GetAsync($"/v2/{_name}/tags/list?n=2&last={Sorted[2]}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Sorted[3..5], await TagsOfAsync(response));
        Assert.Equal($"/v2/{_name}/tags/list?n=2&last={Sorted[4]}", SpecHttp.NextLink(response));
    }

    [Fact]
    public async Task LastAtTheEnd_ReturnsEmptyList()
    {
        using var response = await _client.GetAsync($"/v2/{_name}/tags/list?n=5&last={Sorted[^1]}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await TagsOfAsync(response));
        Assert.Null(SpecHttp.NextLink(response));
    }

    [Fact]
    public async Task UnknownRepository_Returns404NameUnknown()
    {
        using var response = await _client.GetAsync($"/v2/{Repo()}/never-pushed/tags/list");
        await response.AssertErrorAsync(HttpStatusCode.NotFound, "NAME_UNKNOWN");
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("1.5")]
    public async Task MalformedN_Returns400(string n)
    {
        using var response = await _client.GetAsync($"/v2/{_name}/tags/list?n={n}");
        await response.AssertSpecErrorAsync(HttpStatusCode.BadRequest);
    }

    private static async Task<List<string>> TagsOfAsync(HttpResponseMessage response)
    {
        var json = await response.ReadJsonAsync();
        return [.. json.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!)];
    }
}
