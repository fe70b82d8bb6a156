using Berth.Client.Auth;
using Berth.Client.Content;
using Berth.Client.Errors;
using Berth.Client.Tests.Support;

namespace Berth.Client.Tests;

/// <summary>
/// The Docker token flow against a real CNCF Distribution that requires Bearer tokens: the challenge
/// on 401, Basic credentials to the token service, scopes per repository, the token cache, and
/// credentials saved by <c>berth login</c> in docker's config.json.
/// </summary>
public sealed class TokenAuthTests(TokenAuthDistributionFixture registry) : IClassFixture<TokenAuthDistributionFixture>
{
    [Fact]
    public async Task WithoutCredentials_TheRegistryRefuses()
    {
        using var client = registry.NewClient();
        var refused = await Assert.ThrowsAsync<RegistryAuthenticationException>(() => client.PingAsync());
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task Login_ThenPushAndPull_UseBearerTokensScopedToTheRepository()
    {
        using var cli = new CliRunner();
        using var files = new TemporaryFolder();
        var name = TestRegistryExtensions.UniqueRepository("auth/app");
        var file = files.File("payload.bin", RandomBytes(50_000, 9));

        var wrong = await cli.RunAsync("login", registry.Host, "-u", "alice", "-p", "guess");
        Assert.Equal(1, wrong.ExitCode);
        Assert.False(File.Exists(Path.Combine(cli.ConfigDirectory, "config.json")));

        var login = await cli.RunAsync("login", registry.Host, "-u", "alice", "-p", "wonderland");
        Assert.True(login.ExitCode == 0, login.ToString());

        var before = registry.Tokens.GrantedRequests.Count;
        var pushed = await cli.RunAsync("push", $"{registry.Host}/{name}:v1", file, "--artifact-type", "application/x.auth", "--output", "json");
        Assert.True(pushed.ExitCode == 0, pushed.ToString());
        var pulled = await cli.RunAsync("pull", $"{registry.Host}/{name}:v1", "--dir", files.Sub("out"), "--output", "json");
        Assert.True(pulled.ExitCode == 0, pulled.ToString());
        Assert.Equal(await File.ReadAllBytesAsync(file), await File.ReadAllBytesAsync(files.Sub("out/payload.bin")));

        // Tokens were asked for this repository's scope, and cached: far fewer token requests than registry requests.
        var requests = registry.Tokens.GrantedRequests.Skip(before).ToList();
        Assert.Contains(requests, q => Uri.UnescapeDataString(q).Contains($"scope=repository:{name}:pull,push", StringComparison.Ordinal));
        Assert.All(requests, q => Assert.Contains($"service={TestTokenService.Service}", Uri.UnescapeDataString(q), StringComparison.Ordinal));
        Assert.True(requests.Count <= 6, $"{requests.Count} token requests: {string.Join(" | ", requests)}");
    }

    [Fact]
    public async Task LibraryClient_WithCredentials_RoundTripsAnImage()
    {
        using var client = registry.NewClient(o => o with { Credentials = new StaticCredentialProvider(new RegistryCredential("alice", "wonderland")) });
        var repository = client.Repository(TestRegistryExtensions.UniqueRepository("auth/library"));
        var image = await TestImages.PushImageAsync(repository, new Platform("linux", "amd64"), 3);
        await repository.PutManifestAsync("v1", image);
        Assert.Equal(image.Digest, (await repository.GetManifestAsync("v1")).Digest);
        Assert.Equal(["v1"], await repository.ListTagsAsync());
    }
}
