using System.Net;
using System.Text.Json;
using Berth.Auth.Access;
using Berth.Oci.Auth;
using Berth.Server.Tests.Support;

namespace Berth.Server.Tests;

/// <summary>Anonymous access per repository pattern, catalog filtering, cross-repository mounts and tampered tokens over HTTP.</summary>
public sealed class AuthPolicyTests
{
    [Fact]
    public async Task PublicPull_AuthenticatedPush()
    {
        await using var registry = await AuthScenario.StartAsync(options => options with
        {
            Access = [.. options.Access, new AccessRule { Repositories = "public/**", Users = ["alice"], Actions = ["push"] }],
        });
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        var digest = await alice.PushImageAsync("public/tool", "v1", seed: 5);

        using var anonymous = registry.ClientAs(null);
        using var pulled = await anonymous.GetAsync("/v2/public/tool/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(digest, pulled.Header("Docker-Content-Digest"));
        using var tags = await anonymous.GetAsync("/v2/public/tool/tags/list");
        Assert.Equal(HttpStatusCode.OK, tags.StatusCode);

        // Anonymous pushes are asked to log in, with the scope to log in for.
        using var push = await anonymous.PostAsync("/v2/public/tool/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Unauthorized, push.StatusCode);
        Assert.Contains("scope=\"repository:public/tool:pull,push\"", push.Header("WWW-Authenticate"));
        // rita is known but has no push on public/**: refused, not asked to log in again.
        using var rita = registry.ClientAs(AuthScenario.Basic(AuthScenario.Rita));
        using var ritaPush = await rita.PostAsync("/v2/public/tool/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Forbidden, ritaPush.StatusCode);
        Assert.Equal("DENIED", await ritaPush.ErrorCodeIfAnyAsync());
    }

    [Fact]
    public async Task PrivateRepository_ThatDoesNotExist_IsRefusedNotReportedMissing()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var anonymous = registry.ClientAs(null);
        using var missing = await anonymous.GetAsync("/v2/team/ghost/manifests/v1");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        using var rita = registry.ClientAs(AuthScenario.Basic(AuthScenario.Rita));
        using var otherMissing = await rita.GetAsync("/v2/other/ghost/tags/list");
        Assert.Equal(HttpStatusCode.Forbidden, otherMissing.StatusCode);
        // A HEAD gets the same status and challenge, without a body.
        using var head = await anonymous.SendAsync(HttpMethod.Head, "/v2/team/ghost/manifests/v1");
        Assert.Equal(HttpStatusCode.Unauthorized, head.StatusCode);
        Assert.StartsWith("Bearer realm=", head.Header("WWW-Authenticate"));
        Assert.Equal("registry/2.0", head.Header("Docker-Distribution-API-Version"));
    }

    [Fact]
    public async Task Catalog_ListsOnlyWhatTheCallerMayPull_AcrossPages()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        using var oscar = registry.ClientAs(AuthScenario.Basic(AuthScenario.Oscar));
        foreach (var name in new[] { "team/a", "team/c", "team/e" }) await alice.PushBlobAsync(name, [1, 2, 3]);
        foreach (var name in new[] { "other/b", "other/d", "other/f" }) await oscar.PushBlobAsync(name, [1, 2, 3]);

        Assert.Equal(["team/a", "team/c", "team/e"], await CatalogAsync(alice));
        Assert.Equal(["other/b", "other/d", "other/f"], await CatalogAsync(oscar));
        using var anonymous = registry.ClientAs(null);
        Assert.Empty(await CatalogAsync(anonymous));
    }

    [Fact]
    public async Task Mount_WithoutPullOnTheSource_FallsBackToAnUploadSession()
    {
        await using var registry = await AuthScenario.StartAsync(options => options with
        {
            Access = [.. options.Access, new AccessRule { Repositories = "team/**", Users = ["oscar"], Actions = ["push"] }],
        });
        using var oscar = registry.ClientAs(AuthScenario.Basic(AuthScenario.Oscar));
        var blob = RandomBytes(64, seed: 11);
        var digest = await oscar.PushBlobAsync("other/secret", blob);

        // alice may push team/app but may not pull other/secret: the mount must not happen, nor say why.
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        using var denied = await alice.PostAsync($"/v2/team/app/blobs/uploads/?mount={digest}&from=other/secret", null);
        Assert.Equal(HttpStatusCode.Accepted, denied.StatusCode);
        Assert.Contains("/v2/team/app/blobs/uploads/", denied.Headers.Location!.OriginalString);
        using var notLinked = await alice.SendAsync(HttpMethod.Head, $"/v2/team/app/blobs/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, notLinked.StatusCode);

        // Without "from" the registry would search every repository: under access control it does not.
        using var noFrom = await alice.PostAsync($"/v2/team/app/blobs/uploads/?mount={digest}", null);
        Assert.Equal(HttpStatusCode.Accepted, noFrom.StatusCode);

        // oscar may pull other/secret and push team/app: his mount works.
        using var mounted = await oscar.PostAsync($"/v2/team/app/blobs/uploads/?mount={digest}&from=other/secret", null);
        Assert.Equal(HttpStatusCode.Created, mounted.StatusCode);
        Assert.Equal(digest, mounted.Header("Docker-Content-Digest"));
    }

    [Fact]
    public async Task Mount_WithATokenThatGrantsPullOnTheSource_Mounts()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        var digest = await alice.PushBlobAsync("team/base", RandomBytes(64, seed: 12));
        using var pushOnly = registry.ClientAs(AuthScenario.Bearer(registry.Token("oscar", null,
            AccessScope.Repository("other/app", "pull", "push"))));
        using var fallback = await pushOnly.PostAsync($"/v2/other/app/blobs/uploads/?mount={digest}&from=team/base", null);
        Assert.Equal(HttpStatusCode.Accepted, fallback.StatusCode);

        using var both = registry.ClientAs(AuthScenario.Bearer(registry.Token("alice", null,
            AccessScope.Repository("team/app", "pull", "push"), AccessScope.Repository("team/base", "pull"))));
        using var mounted = await both.PostAsync($"/v2/team/app/blobs/uploads/?mount={digest}&from=team/base", null);
        Assert.Equal(HttpStatusCode.Created, mounted.StatusCode);
    }

    [Fact]
    public async Task TagHistory_RecordsTheAuthenticatedUser()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        await alice.PushImageAsync("team/app", "v1", seed: 1);
        using var response = await alice.GetAsync("/v2/team/app/_berth/history/v1");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("alice", body.RootElement.GetProperty("moves")[0].GetProperty("actor").GetString());
    }

    [Theory]
    [InlineData("alg-none")]
    [InlineData("wrong-key")]
    [InlineData("changed-claims")]
    [InlineData("hmac-with-public-key")]
    [InlineData("garbage")]
    public async Task TamperedTokens_AreRejectedAsInvalid(string tampering)
    {
        await using var registry = await AuthScenario.StartAsync();
        var genuine = registry.Token("rita", null, AccessScope.Repository("team/app", "pull"));
        var token = TokenTampering.Apply(tampering, genuine, registry.Auth!.Issuer.Key);
        using var client = registry.ClientAs(AuthScenario.Bearer(token));
        using var response = await client.GetAsync("/v2/team/app/tags/list");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("UNAUTHORIZED", await response.ErrorCodeIfAnyAsync());
        Assert.Contains("error=\"invalid_token\"", response.Header("WWW-Authenticate"));
    }

    [Fact]
    public async Task SigningKey_SurvivesARestart()
    {
        // A folder given by the test outlives each server, as the data folder outlives a restart.
        var data = Path.Combine(Path.GetTempPath(), "berth-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            string token;
            await using (var first = await InProcessBerth.StartAsync(dataDirectory: data, server: o => o with { Auth = AuthScenario.Options }))
            {
                token = first.Token("rita", null, AccessScope.Repository("team/app", "pull"));
            }
            await using var second = await InProcessBerth.StartAsync(dataDirectory: data, server: o => o with { Auth = AuthScenario.Options });
            using var client = second.ClientAs(AuthScenario.Bearer(token));
            using var response = await client.GetAsync("/v2/team/app/tags/list");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("NAME_UNKNOWN", await response.ErrorCodeIfAnyAsync());
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<List<string>> CatalogAsync(HttpClient client)
    {
        var names = new List<string>();
        var url = "/v2/_catalog?n=1";
        while (url is not null)
        {
            using var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var page = body.RootElement.GetProperty("repositories").EnumerateArray().Select(e => e.GetString()!).ToList();
            names.AddRange(page);
            var link = response.Header("Link");
            url = link.Length == 0 ? null : link[1..link.IndexOf('>')];
            Assert.True(url is null || page.Count == 1, "a page that is not the last is full");
        }
        return names;
    }
}
