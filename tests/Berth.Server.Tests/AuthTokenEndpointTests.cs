using Berth.Oci.Auth;
using System.Net;
using System.Text.Json;
using Berth.Server.Tests.Support;

namespace Berth.Server.Tests;

/// <summary>The built-in token service: the Docker token spec's GET, and the OAuth2 POST form with refresh tokens.</summary>
public sealed class AuthTokenEndpointTests
{
    [Fact]
    public async Task Get_WithBasicCredentials_IssuesATokenThatTheRegistryAccepts()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        using var response = await alice.GetAsync($"/auth/token?service={AuthScenario.Service}&scope=repository:team/app:pull,push&scope=registry:catalog:*");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Header("Cache-Control"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        var token = root.GetProperty("token").GetString()!;
        Assert.Equal(token, root.GetProperty("access_token").GetString());
        Assert.Equal(300, root.GetProperty("expires_in").GetInt32());
        Assert.True(DateTimeOffset.TryParse(root.GetProperty("issued_at").GetString(), out _));
        Assert.False(root.TryGetProperty("refresh_token", out _));
        Assert.Equal("repository:team/app:pull,push registry:catalog:*", root.GetProperty("scope").GetString());

        using var bearer = registry.ClientAs(AuthScenario.Bearer(token));
        var digest = await bearer.PushImageAsync("team/app", "v1", seed: 1);
        using var pulled = await bearer.GetAsync("/v2/team/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(digest, pulled.Header("Docker-Content-Digest"));
    }

    [Fact]
    public async Task Get_GrantsOnlyWhatTheRulesAllow()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var rita = registry.ClientAs(AuthScenario.Basic(AuthScenario.Rita));
        // rita reads team/**, and nothing of other/**; what she may not have is left out, not refused.
        Assert.Equal("repository:team/app:pull",
            await ScopeAsync(rita, "/auth/token?scope=repository:team/app:pull,push,delete&scope=repository:other/app:pull"));
        using var anonymous = registry.ClientAs(null);
        Assert.Equal("repository:public/app:pull",
            await ScopeAsync(anonymous, "/auth/token?scope=repository:public/app:pull,push&scope=repository:team/app:pull"));
    }

    [Fact]
    public async Task Get_WithWrongPassword_Is401WithBasicChallenge()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var client = registry.ClientAs(AuthScenario.Basic("alice", "nope"));
        using var response = await client.GetAsync("/auth/token?scope=repository:team/app:pull");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Basic realm=", response.Header("WWW-Authenticate"));
        using var unknown = registry.ClientAs(AuthScenario.Basic("mallory", "nope"));
        using var unknownResponse = await unknown.GetAsync("/auth/token?scope=repository:team/app:pull");
        Assert.Equal(HttpStatusCode.Unauthorized, unknownResponse.StatusCode);
    }

    [Fact]
    public async Task Get_ForAnotherService_Is400()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        using var response = await alice.GetAsync("/auth/token?service=elsewhere&scope=repository:team/app:pull");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Get_OfflineToken_ReturnsARefreshTokenThatPostExchanges()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        using var response = await alice.GetAsync($"/auth/token?service={AuthScenario.Service}&offline_token=true&client_id=test");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var refresh = body.RootElement.GetProperty("refresh_token").GetString()!;

        using var anonymous = registry.ClientAs(null);
        using var exchanged = await PostAsync(anonymous, ("grant_type", "refresh_token"), ("refresh_token", refresh),
            ("service", AuthScenario.Service), ("scope", "repository:team/app:pull,push"), ("client_id", "test"));
        Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
        using var exchangedBody = JsonDocument.Parse(await exchanged.Content.ReadAsStringAsync());
        Assert.Equal("repository:team/app:pull,push", exchangedBody.RootElement.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task Post_Password_WithOfflineAccess_ReturnsAccessAndRefreshTokens()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var client = registry.ClientAs(null);
        using var response = await PostAsync(client, ("grant_type", "password"), ("username", "alice"), ("password", "alice-secret"),
            ("service", AuthScenario.Service), ("scope", "repository:team/app:pull repository:team/lib:push"), ("client_id", "docker"),
            ("access_type", "offline"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Header("Cache-Control"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        Assert.Equal("repository:team/app:pull repository:team/lib:push", root.GetProperty("scope").GetString());
        var refresh = root.GetProperty("refresh_token").GetString()!;

        // A refresh token is not an access token: the registry refuses it.
        using var misuse = registry.ClientAs(AuthScenario.Bearer(refresh));
        using var refused = await misuse.GetAsync("/v2/team/app/tags/list");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("error=\"invalid_token\"", refused.Header("WWW-Authenticate"));

        using var again = await PostAsync(client, ("grant_type", "refresh_token"), ("refresh_token", refresh), ("service", AuthScenario.Service),
            ("scope", "repository:team/app:delete"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using var againBody = JsonDocument.Parse(await again.Content.ReadAsStringAsync());
        var token = againBody.RootElement.GetProperty("access_token").GetString()!;
        using var bearer = registry.ClientAs(AuthScenario.Bearer(token));
        using var deleted = await bearer.DeleteAsync("/v2/team/app/manifests/sha256:" + new string('0', 64));
        Assert.Equal(HttpStatusCode.NotFound, deleted.StatusCode);
    }

    [Fact]
    public async Task Post_WithoutOfflineAccess_ReturnsNoRefreshToken()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var client = registry.ClientAs(null);
        using var response = await PostAsync(client, ("grant_type", "password"), ("username", "rita"), ("password", "rita-secret"),
            ("scope", "repository:team/app:pull"));
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(body.RootElement.TryGetProperty("access_token", out _));
        Assert.False(body.RootElement.TryGetProperty("refresh_token", out _));
    }

    [Theory]
    [InlineData("grant_type=password&username=alice&password=wrong", HttpStatusCode.Unauthorized, "invalid_grant")]
    [InlineData("grant_type=password&username=nobody&password=wrong", HttpStatusCode.Unauthorized, "invalid_grant")]
    [InlineData("grant_type=refresh_token&refresh_token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.", HttpStatusCode.Unauthorized, "invalid_grant")]
    [InlineData("grant_type=client_credentials", HttpStatusCode.BadRequest, "unsupported_grant_type")]
    [InlineData("grant_type=password&username=alice", HttpStatusCode.BadRequest, "invalid_request")]
    public async Task Post_Failures_FollowRfc6749(string form, HttpStatusCode status, string error)
    {
        await using var registry = await AuthScenario.StartAsync();
        using var client = registry.ClientAs(null);
        using var content = new StringContent(form, System.Text.Encoding.ASCII, "application/x-www-form-urlencoded");
        using var response = await client.PostAsync("/auth/token", content);
        Assert.Equal(status, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(error, body.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Post_NotAForm_Is400()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var client = registry.ClientAs(null);
        using var content = new StringContent("{\"grant_type\":\"password\"}", System.Text.Encoding.UTF8, "application/json");
        using var response = await client.PostAsync("/auth/token", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task InsufficientScope_OfAUserWhoMayHaveIt_Is401AskingForTheScope()
    {
        await using var registry = await AuthScenario.StartAsync();
        // alice may push team/app, but this token was asked for pull only: the Docker flow fetches a new one on 401.
        using var client = registry.ClientAs(AuthScenario.Bearer(registry.Token("alice", null, Berth.Oci.Auth.AccessScope.Repository("team/app", "pull"))));
        using var response = await client.PostAsync("/v2/team/app/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.EndsWith("scope=\"repository:team/app:pull,push\",error=\"insufficient_scope\"", response.Header("WWW-Authenticate"));
    }

    [Fact]
    public async Task ClientFlow_ChallengeThenTokenThenRequest()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var anonymous = registry.ClientAs(null);
        using var challenge = await anonymous.PostAsync("/v2/team/app/blobs/uploads/", null);
        var header = challenge.Headers.WwwAuthenticate.Single();
        Assert.Equal("Bearer", header.Scheme);
        // auth-params are name="quoted-string" pairs; the scope's own commas sit inside the quotes.
        var parameters = System.Text.RegularExpressions.Regex.Matches(header.Parameter!, "(\\w+)=\"([^\"]*)\"")
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.Equal("repository:team/app:pull,push", parameters["scope"]);

        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        var tokenUrl = $"{parameters["realm"]}?service={Uri.EscapeDataString(parameters["service"])}&scope={Uri.EscapeDataString(parameters["scope"])}";
        using var tokenResponse = await alice.GetAsync(tokenUrl);
        using var body = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync());
        using var bearer = registry.ClientAs(AuthScenario.Bearer(body.RootElement.GetProperty("token").GetString()!));
        using var started = await bearer.PostAsync("/v2/team/app/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
    }

    private static async Task<string> ScopeAsync(HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("scope").GetString()!;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, params (string Key, string Value)[] form) =>
        client.PostAsync("/auth/token", new FormUrlEncodedContent(form.Select(f => KeyValuePair.Create(f.Key, f.Value))));
}
