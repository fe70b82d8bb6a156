using Berth.Oci.Names;
using System.Net;
using Berth.Auth.Access;
using Berth.Registry.Policies;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.RegistryContent;

namespace Berth.Server.Tests;

/// <summary>
/// Control characters (percent-encoded CR, LF, NUL, ESC) in names, tags, digests and the mount parameters are
/// refused over HTTP with the spec's error code of the part they are in, and nothing is stored under them.
/// </summary>
public sealed class ControlCharacterTests
{
    public static TheoryData<string> Escapes => new() { "%0A", "%0D", "%00", "%1B" };

    [Theory]
    [MemberData(nameof(Escapes))]
    public async Task InRepositoryNames_NameInvalid(string escape)
    {
        await using var registry = await InProcessBerth.StartAsync();
        var client = registry.Client;
        foreach (var (method, path) in new[]
                 {
                     (HttpMethod.Get, $"/v2/team/app{escape}/manifests/v1"),
                     (HttpMethod.Get, $"/v2/team/a{escape}pp/tags/list"),
                     (HttpMethod.Post, $"/v2/team/app{escape}/blobs/uploads/"),
                     (HttpMethod.Get, $"/v2/{escape}team/app/blobs/{Sha256([1])}"),
                 })
        {
            using var response = await client.SendAsync(method, path);
            await AssertRefusedInPathAsync(response, escape, "NAME_INVALID");
        }
        Assert.Empty(await CatalogAsync(client));
    }

    [Theory]
    [MemberData(nameof(Escapes))]
    public async Task InTags_ManifestInvalid_AndNothingIsTagged(string escape)
    {
        await using var registry = await InProcessBerth.StartAsync();
        var client = registry.Client;
        var manifest = await client.PushImageContentAsync("team/app", seed: 1);
        using (var put = await client.PutManifestAsync("team/app", $"v1{escape}", manifest))
        {
            await AssertRefusedInPathAsync(put, escape, "MANIFEST_INVALID");
        }
        using (var get = await client.GetAsync($"/v2/team/app/manifests/v1{escape}"))
        {
            await AssertRefusedInPathAsync(get, escape, "MANIFEST_INVALID");
        }
        using (var byQuery = await client.PutManifestAsync("team/app", $"{Sha256(manifest)}?tag=v2{escape}", manifest))
        {
            await byQuery.AssertErrorAsync(HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        }
        using (var history = await client.GetAsync($"/v2/team/app/_berth/history/v1{escape}"))
        {
            await AssertRefusedInPathAsync(history, escape, "MANIFEST_INVALID");
        }
        Assert.Empty(await client.TagsAsync("team/app"));
    }

    [Theory]
    [MemberData(nameof(Escapes))]
    public async Task InDigests_DigestInvalid(string escape)
    {
        await using var registry = await InProcessBerth.StartAsync();
        var client = registry.Client;
        var blob = RandomBytes(100, seed: 2);
        var digest = await client.PushBlobAsync("team/app", blob);
        foreach (var (method, path) in new[]
                 {
                     (HttpMethod.Get, $"/v2/team/app/blobs/{digest}{escape}"),
                     (HttpMethod.Head, $"/v2/team/app/blobs/{digest}{escape}"),
                     (HttpMethod.Delete, $"/v2/team/app/blobs/{digest}{escape}"),
                     (HttpMethod.Get, $"/v2/team/app/manifests/{digest}{escape}"),
                     (HttpMethod.Get, $"/v2/team/app/referrers/{digest}{escape}"),
                 })
        {
            using var response = await client.SendAsync(method, path);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            if (method != HttpMethod.Head) await AssertRefusedInPathAsync(response, escape, "DIGEST_INVALID");
        }
        using (var monolithic = await client.PostAsync($"/v2/team/other/blobs/uploads/?digest={digest}{escape}", new ByteArrayContent(blob)))
        {
            await monolithic.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }
        var location = await client.StartUploadAsync("team/other");
        using (var close = await client.PutUploadAsync(location, digest + escape))
        {
            await close.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }
        await client.AssertBlobAsync("team/app", digest, blob);
        await client.AssertBlobAbsentAsync("team/other", digest);
    }

    [Theory]
    [MemberData(nameof(Escapes))]
    public async Task InMountParameters_NothingIsMounted(string escape)
    {
        await using var registry = await InProcessBerth.StartAsync();
        var client = registry.Client;
        var digest = await client.PushBlobAsync("team/src", RandomBytes(100, seed: 3));
        foreach (var (query, code) in new[]
                 {
                     ($"?mount={digest}{escape}&from=team/src", "DIGEST_INVALID"),
                     ($"?mount={digest}&from=team/src{escape}", "NAME_INVALID"),
                     ($"?Mount={digest}&From=team/src{escape}", "NAME_INVALID"),
                     ($"?mount={digest}&from={escape}", "NAME_INVALID"),
                 })
        {
            using var response = await client.PostAsync($"/v2/team/dest/blobs/uploads/{query}", null);
            await response.AssertErrorAsync(HttpStatusCode.BadRequest, code);
        }
        await client.AssertBlobAbsentAsync("team/dest", digest);
    }

    [Fact]
    public async Task InUploadIds_BlobUploadInvalid()
    {
        await using var registry = await InProcessBerth.StartAsync();
        var location = await registry.Client.StartUploadAsync("team/app");
        using var response = await registry.Client.GetAsync(location + "%0A");
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "BLOB_UPLOAD_INVALID");
    }

    [Fact]
    public void AccessRulePatterns_DoNotMatchANameWithATrailingNewline()
    {
        Assert.True(new RepositoryPattern("team/app").Matches("team/app"));
        Assert.False(new RepositoryPattern("team/app").Matches("team/app\n"));
        Assert.False(new RepositoryPattern("x").Matches("x\n"));
        Assert.False(new RepositoryPattern("team/*").Matches("team/a/b\n"));
    }

    [Fact]
    public void RegistryPolicyPatterns_DoNotMatchANameOrTagWithATrailingNewline()
    {
        var policy = new RepositoryPolicy { Repositories = "x", Tags = "v1" };
        Assert.True(policy.Matches("x", "v1"));
        Assert.False(policy.Matches("x\n", "v1"));
        Assert.False(policy.Matches("x", "v1\n"));
    }

    /// <summary>
    /// Kestrel itself refuses a NUL in the request path, with a plain 400 before any application code runs, so
    /// only there the body cannot be the spec's; every other control character reaches the registry's check.
    /// Query values are not decoded by Kestrel, so a NUL there gets the spec's code too.
    /// </summary>
    private static async Task AssertRefusedInPathAsync(HttpResponseMessage response, string escape, string code)
    {
        if (escape == "%00") Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        else await response.AssertErrorAsync(HttpStatusCode.BadRequest, code);
    }

    private static async Task<List<string>> CatalogAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/v2/_catalog");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.ReadJsonAsync();
        return [.. json.GetProperty("repositories").EnumerateArray().Select(r => r.GetString()!)];
    }
}
