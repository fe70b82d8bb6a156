using System.Net;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.RegistryContent;

namespace Berth.Server.Tests;

/// <summary>
/// GET /v2/_catalog with n, last and Link (the Docker Registry API extension clients expect). The
/// catalog spans the whole registry, so each test gets a registry of its own.
/// </summary>
public sealed class CatalogTests : IAsyncLifetime
{
    private static readonly string[] Repositories = ["zeta", "alpha/one", "alpha", "alpha/two/deep", "beta-1", "alpha.x", "manifests/blobs"];
    private static readonly string[] Sorted = [.. Repositories.Order(StringComparer.Ordinal)];

    private InProcessBerth _registry = null!;

    private HttpClient Client => _registry.Client;

    public async Task InitializeAsync()
    {
        _registry = await InProcessBerth.StartAsync();
        for (var i = 0; i < Repositories.Length; i++) await Client.PushImageAsync(Repositories[i], "v1", seed: 140 + i);
    }

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    [Fact]
    public async Task Catalog_ListsEveryRepositoryInOrder()
    {
        using var response = await Client.GetAsync("/v2/_catalog");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Sorted, await RepositoriesOfAsync(response));
        Assert.Null(SpecHttp.NextLink(response));
    }

    [Fact]
    public async Task N_PaginatesWithLinksUntilTheEnd()
    {
        var seen = new List<string>();
        string? next = "/v2/_catalog?n=3";
        var links = new List<string>();
        while (next is not null)
        {
            using var response = await Client.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await RepositoriesOfAsync(response);
            Assert.InRange(page.Count, 1, 3);
            seen.AddRange(page);
            next = SpecHttp.NextLink(response);
            if (next is not null) links.Add(next);
            Assert.True(links.Count <= 3, "pagination did not end");
        }
        Assert.Equal(Sorted, seen);
        Assert.Equal([$"/v2/_catalog?n=3&last={Uri.EscapeDataString(Sorted[2])}", $"/v2/_catalog?n=3&last={Uri.EscapeDataString(Sorted[5])}"], links);
    }

    [Fact]
    public async Task Last_StartsAfterIt()
    {
        using var response = await Client.GetAsync($"/v2/_catalog?last={Uri.EscapeDataString(Sorted[3])}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Sorted[4..], await RepositoriesOfAsync(response));
    }

    [Fact]
    public async Task NZero_ReturnsEmptyListAndNoLink()
    {
        using var response = await Client.GetAsync("/v2/_catalog?n=0");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await RepositoriesOfAsync(response));
        Assert.Null(SpecHttp.NextLink(response));
    }

    [Fact]
    public async Task EmptyRegistry_ReturnsEmptyList()
    {
        await using var empty = await InProcessBerth.StartAsync();
        using var response = await empty.Client.GetAsync("/v2/_catalog");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{\"repositories\":[]}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MalformedN_Returns400()
    {
        using var response = await Client.GetAsync("/v2/_catalog?n=many");
        await response.AssertSpecErrorAsync(HttpStatusCode.BadRequest);
    }

    private static async Task<List<string>> RepositoriesOfAsync(HttpResponseMessage response)
    {
        var json = await response.ReadJsonAsync();
        return [.. json.GetProperty("repositories").EnumerateArray().Select(t => t.GetString()!)];
    }
}
