using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Berth.Auth;
using Berth.Auth.Access;
using Berth.Auth.Users;
using Berth.Client.Auth;
using Berth.Client.Tests.Support;
using Berth.Oci.Auth;
using Berth.Server.Hosting;

namespace Berth.Client.Tests;

/// <summary>Berth with authentication on: its token service, one user allowed everything.</summary>
public sealed class AuthenticatingBerthFixture : InProcessBerthFixture
{
    public const string User = "alice";
    public const string Password = "helper-test-password";

    public string Host => Berth.Host;

    protected override ServerOptions ConfigureServer(ServerOptions options) => options with
    {
        Auth = new AuthOptions
        {
            Users = [new ConfiguredUser { Name = User, PasswordHash = BcryptPassword.Hash(Password, 4) }],
            Access = [new AccessRule { Repositories = "**", Users = [User], Actions = ["*"] }],
        },
    };
}

/// <summary>
/// docker's credential helpers (docker-credential-helpers protocol) through a real helper program the
/// test writes, which keeps what it is given in files: get/store/erase, which source answers for which
/// registry, the server-URL spellings docker uses, and helpers that fail, hang or are missing.
/// </summary>
public sealed class CredentialHelperStoreTests
{
    private static DockerConfigCredentialStore StoreWith(TemporaryFolder folder, string config, params FileCredentialHelper[] helpers) =>
        new(folder.File("config.json", Encoding.UTF8.GetBytes(config)))
        {
            HelperSearchPath = string.Join(Path.PathSeparator, helpers.Select(h => h.Folder)),
            HelperTimeout = TimeSpan.FromSeconds(20),
        };

    [Fact]
    public async Task CredsStore_StoreGetErase_GoThroughTheHelper_AndConfigJsonKeepsNoSecret()
    {
        using var folder = new TemporaryFolder();
        using var helper = new FileCredentialHelper("files");
        var store = StoreWith(folder, """{"credsStore":"files","auths":{"localhost:5000":{"auth":"b2xkOm9sZA=="}}}""", helper);

        await store.StoreAsync("localhost:5000", new RegistryCredential("alice", "s3cret-value"));

        var saved = helper.Stored("localhost:5000")!.Value;
        Assert.Equal("localhost:5000", saved.GetProperty("ServerURL").GetString());
        Assert.Equal("alice", saved.GetProperty("Username").GetString());
        Assert.Equal("s3cret-value", saved.GetProperty("Secret").GetString());
        // As docker's native store: the auths entry stays, emptied; the old secret is gone.
        using (var config = JsonDocument.Parse(await File.ReadAllTextAsync(store.ConfigFile)))
        {
            Assert.Equal("{}", config.RootElement.GetProperty("auths").GetProperty("localhost:5000").GetRawText().Replace(" ", "").Replace("\n", ""));
        }
        var text = await File.ReadAllTextAsync(store.ConfigFile);
        Assert.DoesNotContain("s3cret-value", text);
        Assert.DoesNotContain("b2xkOm9sZA==", text);
        Assert.Equal("files", store.CredentialHelperFor("localhost:5000"));

        Assert.Equal(new RegistryCredential("alice", "s3cret-value"), await store.GetCredentialAsync("localhost:5000", default));

        Assert.True(await store.RemoveAsync("localhost:5000"));
        Assert.Null(helper.Stored("localhost:5000"));
        // Nothing stored is "credentials not found": no credentials, not an error.
        Assert.Null(await store.GetCredentialAsync("localhost:5000", default));
        Assert.False(await store.RemoveAsync("localhost:5000"));
        Assert.Equal(["store localhost:5000", "get localhost:5000", "erase localhost:5000", "get localhost:5000", "erase localhost:5000"], helper.Requests);
    }

    [Fact]
    public async Task CredHelpers_OverCredsStore_OverAuths()
    {
        using var folder = new TemporaryFolder();
        using var special = new FileCredentialHelper("special");
        using var general = new FileCredentialHelper("general");
        special.Put("a.example:5000", "from-special", "1");
        general.Put("a.example:5000", "from-general", "2");
        general.Put("b.example", "from-general", "3");
        var auth = Convert.ToBase64String("from-auths:4"u8.ToArray());
        var store = StoreWith(folder, $$"""
            {
              "credsStore": "general",
              "credHelpers": { "a.example:5000": "special", "c.example": "" },
              "auths": { "a.example:5000": {"auth": "{{auth}}"}, "b.example": {"auth": "{{auth}}"}, "c.example": {"auth": "{{auth}}"}, "d.example": {"auth": "{{auth}}"} }
            }
            """, special, general);

        Assert.Equal(new RegistryCredential("from-special", "1"), await store.GetCredentialAsync("a.example:5000", default));
        Assert.Equal(new RegistryCredential("from-general", "3"), await store.GetCredentialAsync("b.example", default));
        // An empty name in credHelpers keeps that registry in auths although credsStore is set (as docker).
        Assert.Equal(new RegistryCredential("from-auths", "4"), await store.GetCredentialAsync("c.example", default));
        // The configured helper is the registry's only source: nothing there means no credentials, as in docker.
        Assert.Null(await store.GetCredentialAsync("d.example", default));
        Assert.Equal(["get a.example:5000"], special.Requests);
        Assert.Equal(["get b.example", "get d.example"], general.Requests);

        // Without any helper, auths answers.
        using var plain = new TemporaryFolder();
        var withoutHelpers = StoreWith(plain, "{\"auths\": {\"d.example\": {\"auth\": \"" + auth + "\"}}}");
        Assert.Equal(new RegistryCredential("from-auths", "4"), await withoutHelpers.GetCredentialAsync("d.example", default));
        Assert.Null(withoutHelpers.CredentialHelperFor("d.example"));
    }

    [Fact]
    public async Task DockerHub_IsAskedForAsDockerDoes_AndTokenUserMeansAnIdentityToken()
    {
        using var folder = new TemporaryFolder();
        using var helper = new FileCredentialHelper("hub");
        helper.Put("https://index.docker.io/v1/", "<token>", "refresh-token-value");
        var store = StoreWith(folder, """{"credHelpers":{"https://index.docker.io/v1/":"hub"}}""", helper);

        var credential = await store.GetCredentialAsync("registry-1.docker.io", default);
        Assert.NotNull(credential);
        Assert.True(credential.IsIdentityToken);
        Assert.Equal("refresh-token-value", credential.Password);
        Assert.Equal(["get https://index.docker.io/v1/"], helper.Requests);
        Assert.Equal("https://index.docker.io/v1/", DockerConfigCredentialStore.ServerAddressFor("docker.io"));
        Assert.Equal("localhost:5000", DockerConfigCredentialStore.ServerAddressFor("https://localhost:5000/v2/"));
        Assert.DoesNotContain("refresh-token-value", credential.ToString());
    }

    [Fact]
    public async Task FailingHelper_IsAnErrorNamingIt_WithoutTheSecret()
    {
        using var folder = new TemporaryFolder();
        using var helper = new FileCredentialHelper("locked", FileCredentialHelper.FailingScript);
        var store = StoreWith(folder, """{"credsStore":"locked"}""", helper);

        var get = await Assert.ThrowsAsync<CredentialHelperException>(() => store.GetCredentialAsync("localhost:5000", default).AsTask());
        Assert.Equal("docker-credential-locked", get.Helper);
        Assert.Contains("docker-credential-locked get localhost:5000", get.Message);
        Assert.Contains("the keychain is locked", get.Message);

        var put = await Assert.ThrowsAsync<CredentialHelperException>(() => store.StoreAsync("localhost:5000", new RegistryCredential("u", "never-shown-secret")));
        Assert.DoesNotContain("never-shown-secret", put.Message);
        Assert.DoesNotContain("never-shown-secret", await File.ReadAllTextAsync(store.ConfigFile));
    }

    [Fact]
    public async Task MissingOrHangingHelper_FailsClearly()
    {
        using var folder = new TemporaryFolder();
        using var empty = new TemporaryFolder();
        var missing = new DockerConfigCredentialStore(folder.File("config.json", """{"credsStore":"nowhere"}"""u8.ToArray())) { HelperSearchPath = empty.Path };
        var notInstalled = await Assert.ThrowsAsync<CredentialHelperException>(() => missing.GetCredentialAsync("localhost:5000", default).AsTask());
        Assert.Contains("docker-credential-nowhere is not installed", notInstalled.Message);

        using var hanging = new FileCredentialHelper("slow", FileCredentialHelper.HangingScript);
        var store = new DockerConfigCredentialStore(folder.File("hang.json", """{"credsStore":"slow"}"""u8.ToArray()))
        {
            HelperSearchPath = hanging.Folder,
            HelperTimeout = TimeSpan.FromSeconds(1),
        };
        var started = DateTime.UtcNow;
        var timedOut = await Assert.ThrowsAsync<CredentialHelperException>(() => store.GetCredentialAsync("localhost:5000", default).AsTask());
        Assert.Contains("docker-credential-slow get did not finish within 1 s", timedOut.Message);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15));

        var traversal = new DockerConfigCredentialStore(folder.File("evil.json", """{"credsStore":"../../bin/sh"}"""u8.ToArray()));
        await Assert.ThrowsAsync<CredentialHelperException>(() => traversal.GetCredentialAsync("localhost:5000", default).AsTask());
    }
}

/// <summary>The client and <c>berth login</c>/<c>logout</c> through a helper, against Berth with authentication on.</summary>
public sealed class CredentialHelperRegistryTests(AuthenticatingBerthFixture registry) : IClassFixture<AuthenticatingBerthFixture>
{
    [Fact]
    public async Task Client_UsesPasswordsAndIdentityTokensFromTheHelper_AndAFailingHelperIsNeverAnonymous()
    {
        using var folder = new TemporaryFolder();
        using var helper = new FileCredentialHelper("files");
        helper.Put(registry.Host, AuthenticatingBerthFixture.User, AuthenticatingBerthFixture.Password);
        var store = new DockerConfigCredentialStore(folder.File("config.json", """{"credsStore":"files"}"""u8.ToArray())) { HelperSearchPath = helper.Folder };
        using (var client = registry.NewClientWith(store))
        {
            var repository = client.Repository(TestRegistryExtensions.UniqueRepository("helper/password"));
            var pushed = await repository.PushBlobAsync(RandomBytes(10_000, 1));
            Assert.Equal(10_000, await repository.GetBlobSizeAsync(pushed.Digest));
        }
        // One helper run served the whole session (the answer is reused, not asked per request).
        Assert.Single(helper.Requests);

        // An identity token (docker login's refresh token, stored under "<token>") is traded at the token service.
        helper.Put(registry.Host, RegistryCredential.IdentityTokenUsername, await RefreshTokenAsync());
        var tokenStore = new DockerConfigCredentialStore(store.ConfigFile) { HelperSearchPath = helper.Folder };
        using (var client = registry.NewClientWith(tokenStore))
        {
            var repository = client.Repository(TestRegistryExtensions.UniqueRepository("helper/token"));
            var pushed = await repository.PushBlobAsync(RandomBytes(5_000, 2));
            Assert.Equal(5_000, await repository.GetBlobSizeAsync(pushed.Digest));
        }

        using var locked = new FileCredentialHelper("files", FileCredentialHelper.FailingScript);
        var lockedStore = new DockerConfigCredentialStore(store.ConfigFile) { HelperSearchPath = locked.Folder };
        using (var client = registry.NewClientWith(lockedStore))
        {
            var failure = await Assert.ThrowsAsync<CredentialHelperException>(() => client.PingAsync());
            Assert.Contains("docker-credential-files", failure.Message);
        }
    }

    [Fact]
    public async Task LoginAndLogout_GoThroughTheHelperOnPath()
    {
        using var config = new TemporaryFolder();
        using var helper = new FileCredentialHelper("berthtest");
        await File.WriteAllTextAsync(config.Sub("config.json"), """{"credsStore":"berthtest"}""");
        using var files = new TemporaryFolder();
        var payload = files.File("payload.txt", "hello"u8.ToArray());
        var name = TestRegistryExtensions.UniqueRepository("helper/cli");

        var wrong = await CliProcess.RunAsync(helper.Folder, "not-the-password\n",
            "login", registry.Host, "-u", AuthenticatingBerthFixture.User, "--password-stdin", "--docker-config", config.Path);
        Assert.True(wrong.ExitCode == 1, wrong.ToString());
        Assert.Empty(helper.Requests);

        var login = await CliProcess.RunAsync(helper.Folder, AuthenticatingBerthFixture.Password + "\n",
            "login", registry.Host, "-u", AuthenticatingBerthFixture.User, "--password-stdin", "--docker-config", config.Path, "--output", "json");
        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Equal("docker-credential-berthtest", login.Json.GetProperty("credentialHelper").GetString());
        Assert.Equal(AuthenticatingBerthFixture.Password, helper.Stored(registry.Host)!.Value.GetProperty("Secret").GetString());
        var configText = await File.ReadAllTextAsync(config.Sub("config.json"));
        Assert.DoesNotContain(AuthenticatingBerthFixture.Password, configText);
        Assert.DoesNotContain("\"auth\"", configText);
        Assert.Contains(registry.Host, configText);

        var pushed = await CliProcess.RunAsync(helper.Folder, null,
            "push", $"{registry.Host}/{name}:v1", payload, "--artifact-type", "application/x.helper-test", "--docker-config", config.Path);
        Assert.True(pushed.ExitCode == 0, pushed.ToString());

        var logout = await CliProcess.RunAsync(helper.Folder, null, "logout", registry.Host, "--docker-config", config.Path, "--output", "json");
        Assert.True(logout.ExitCode == 0, logout.ToString());
        Assert.True(logout.Json.GetProperty("removed").GetBoolean());
        Assert.Null(helper.Stored(registry.Host));
        Assert.Equal(["store " + registry.Host, "get " + registry.Host, "erase " + registry.Host], helper.Requests);

        // Logged out: the registry refuses, and says so (no silent anonymous success).
        var refused = await CliProcess.RunAsync(helper.Folder, null, "tags", $"{registry.Host}/{name}", "--docker-config", config.Path);
        Assert.NotEqual(0, refused.ExitCode);
    }

    [Fact]
    public async Task Login_WithAFailingHelper_FailsNamingIt_WithoutTheSecret()
    {
        using var config = new TemporaryFolder();
        using var helper = new FileCredentialHelper("broken", FileCredentialHelper.FailingScript);
        await File.WriteAllTextAsync(config.Sub("config.json"), """{"credHelpers":{"HOST":"broken"}}""".Replace("HOST", registry.Host));

        var login = await CliProcess.RunAsync(helper.Folder, AuthenticatingBerthFixture.Password + "\n",
            "login", registry.Host, "-u", AuthenticatingBerthFixture.User, "--password-stdin", "--docker-config", config.Path);
        Assert.True(login.ExitCode == 1, login.ToString());
        Assert.Contains("docker-credential-broken store", login.Error);
        Assert.DoesNotContain(AuthenticatingBerthFixture.Password, login.Error + login.Output);
        Assert.DoesNotContain(AuthenticatingBerthFixture.Password, await File.ReadAllTextAsync(config.Sub("config.json")));
    }

    /// <summary>A refresh token from Berth's token service (offline_token=true), as docker login keeps one.</summary>
    private async Task<string> RefreshTokenAsync()
    {
        using var http = new HttpClient();
        using var challenge = await http.GetAsync($"http://{registry.Host}/v2/");
        var bearer = AuthenticationChallenge.Parse(challenge.Headers.WwwAuthenticate.Select(h => h.ToString())).First(c => c.IsScheme("Bearer"));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{bearer["realm"]}?service={Uri.EscapeDataString(bearer["service"]!)}&offline_token=true");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AuthenticatingBerthFixture.User}:{AuthenticatingBerthFixture.Password}")));
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("refresh_token").GetString()!;
    }
}

internal static class CredentialStoreClients
{
    public static RegistryClient NewClientWith(this AuthenticatingBerthFixture registry, ICredentialProvider credentials) =>
        new RegistryClientBuilder(registry.Host).WithCredentials(credentials).Build();
}
