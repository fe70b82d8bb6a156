using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Auth.Tokens;
using Berth.Server.Tests.Support;

namespace Berth.Server.Tests;

/// <summary>
/// The token service's edges over HTTP: expiry times at the end of the calendar, the cap on scopes per
/// request, and rotation of the signing key with `berth auth rotate-key` between two runs of the server.
/// </summary>
public sealed class AuthTokenHardeningTests
{
    [Theory]
    [InlineData(253402300799L, HttpStatusCode.OK)]
    [InlineData(253402300800L, HttpStatusCode.Unauthorized)]
    [InlineData(long.MaxValue, HttpStatusCode.Unauthorized)]
    public async Task ExpiryInTheYear9999_IsDecided_NotA500(long exp, HttpStatusCode expected)
    {
        await using var registry = await AuthScenario.StartAsync();
        var key = registry.Auth!.Issuer.Key;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["iss"] = registry.Auth.Options.Issuer, ["sub"] = "alice", ["aud"] = AuthScenario.Service,
            ["exp"] = exp, ["nbf"] = now, ["iat"] = now,
        };
        var token = CompactJws.Sign(new JsonObject { ["typ"] = "JWT", ["alg"] = key.Algorithm, ["kid"] = key.KeyId }, claims, key);
        using var client = registry.ClientAs(AuthScenario.Bearer(token));
        using var response = await client.GetAsync("/v2/");
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task TokenRequest_WithTooManyScopes_Is400_AndWithTheMaximum_Works()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        var scopes = Enumerable.Range(0, 65).Select(i => $"scope=repository:team/app{i}:pull").ToList();

        using var refused = await alice.GetAsync("/auth/token?" + string.Join('&', scopes));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        using var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal("invalid_scope", error.RootElement.GetProperty("error").GetString());
        Assert.Contains("at most 64 scopes", error.RootElement.GetProperty("error_description").GetString());

        // The POST form's space-separated list counts the same way.
        using var anonymous = registry.ClientAs(null);
        using var posted = await anonymous.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = AuthScenario.Alice.User, ["password"] = AuthScenario.Alice.Password,
            ["scope"] = string.Join(' ', scopes.Select(s => s["scope=".Length..])),
        }));
        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);

        using var allowed = await alice.GetAsync("/auth/token?" + string.Join('&', scopes.Take(64)));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        using var body = JsonDocument.Parse(await allowed.Content.ReadAsStringAsync());
        using var bearer = registry.ClientAs(AuthScenario.Bearer(body.RootElement.GetProperty("token").GetString()!));
        using var used = await bearer.GetAsync("/v2/team/app63/tags/list");
        Assert.Equal(HttpStatusCode.NotFound, used.StatusCode);
    }

    [Fact]
    public async Task TokenRequest_ForATokenLargerThanTheRegistryAccepts_Is400()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var anonymous = registry.ClientAs(null);
        // The POST form, since 64 names of 240 characters make a longer request line than Kestrel takes (8 KiB).
        var scopes = string.Join(' ', Enumerable.Range(0, 64).Select(i => $"repository:team/{i:D3}{new string('a', 233)}:pull,push,delete"));
        using var refused = await anonymous.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = AuthScenario.Alice.User, ["password"] = AuthScenario.Alice.Password, ["scope"] = scopes,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        using var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        Assert.Equal("invalid_scope", error.RootElement.GetProperty("error").GetString());
        Assert.Contains("ask for fewer", error.RootElement.GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task RotateKey_OldTokensStillWorkAfterARestart_NewTokensUseTheNewKey()
    {
        var data = Path.Combine(Path.GetTempPath(), "berth-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            string oldToken, oldRefresh, oldKeyId;
            await using (var before = await StartAsync(data))
            {
                oldKeyId = before.Auth!.Issuer.Key.KeyId;
                using var aliceBefore = before.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
                (oldToken, oldRefresh) = await TokensAsync(aliceBefore);
                using var bearer = before.ClientAs(AuthScenario.Bearer(oldToken));
                await bearer.PushImageAsync("team/app", "v1", seed: 7);
            }

            var exit = await BerthCommandLine.RunAsync(["auth", "rotate-key", "--data", data]);
            Assert.Equal(0, exit);

            await using var after = await StartAsync(data);
            var newKeyId = after.Auth!.Issuer.Key.KeyId;
            Assert.NotEqual(oldKeyId, newKeyId);
            Assert.Equal(oldKeyId, KeyIdOf(oldToken));

            // The token signed before the rotation still opens the repository...
            using var oldBearer = after.ClientAs(AuthScenario.Bearer(oldToken));
            using var pulled = await oldBearer.GetAsync("/v2/team/app/manifests/v1");
            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);

            // ...the refresh token too, and what it is exchanged for is signed with the new key.
            using var anonymous = after.ClientAs(null);
            using var exchanged = await anonymous.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "refresh_token", ["refresh_token"] = oldRefresh, ["service"] = AuthScenario.Service,
                ["scope"] = "repository:team/app:pull",
            }));
            Assert.Equal(HttpStatusCode.OK, exchanged.StatusCode);
            using var exchangedBody = JsonDocument.Parse(await exchanged.Content.ReadAsStringAsync());
            Assert.Equal(newKeyId, KeyIdOf(exchangedBody.RootElement.GetProperty("access_token").GetString()!));

            using var alice = after.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
            var (newToken, _) = await TokensAsync(alice);
            Assert.Equal(newKeyId, KeyIdOf(newToken));
            using var newBearer = after.ClientAs(AuthScenario.Bearer(newToken));
            using var pulledAgain = await newBearer.GetAsync("/v2/team/app/manifests/v1");
            Assert.Equal(HttpStatusCode.OK, pulledAgain.StatusCode);

            // A token signed by the old key after it was retired cannot exist: the retired file has no private key.
            Assert.All(Directory.GetFiles(Path.Combine(data, "auth"), "token-retired-key-*.pem"),
                file => Assert.DoesNotContain("PRIVATE KEY", File.ReadAllText(file)));
        }
        finally
        {
            if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task RotateKey_OnAFolderWithoutAKey_CreatesOne()
    {
        var data = Path.Combine(Path.GetTempPath(), "berth-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            Assert.Equal(0, await BerthCommandLine.RunAsync(["auth", "rotate-key", "--data", data]));
            Assert.True(File.Exists(SigningKeyStore.PathFor(Path.Combine(data, "auth"), TokenKey.ES256)));
            Assert.Empty(Directory.GetFiles(Path.Combine(data, "auth"), "token-retired-key-*.pem"));
            // The folders it had to create are owner-only, as `serve` makes them.
            if (!OperatingSystem.IsWindows())
            {
                const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
                Assert.Equal(ownerOnly, File.GetUnixFileMode(data));
                Assert.Equal(ownerOnly, File.GetUnixFileMode(Path.Combine(data, "auth")));
            }
        }
        finally
        {
            if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
        }
    }

    private static Task<InProcessBerth> StartAsync(string data) =>
        InProcessBerth.StartAsync(dataDirectory: data, server: options => options with { Auth = AuthScenario.Options });

    private static async Task<(string Access, string Refresh)> TokensAsync(HttpClient client)
    {
        using var response = await client.GetAsync($"/auth/token?service={AuthScenario.Service}&offline_token=true&scope=repository:team/app:pull,push");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (body.RootElement.GetProperty("token").GetString()!, body.RootElement.GetProperty("refresh_token").GetString()!);
    }

    private static string KeyIdOf(string token) =>
        JsonNode.Parse(Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token.Split('.')[0])))!["kid"]!.GetValue<string>();
}
