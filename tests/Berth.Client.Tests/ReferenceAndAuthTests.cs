using Berth.Cli.Invocation;
using Berth.Client.Auth;
using Berth.Client.References;
using Berth.Client.Tests.Support;
using Berth.Oci.Auth;

namespace Berth.Client.Tests;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("localhost:5000/a/b:v1", "localhost:5000", "a/b", "v1", null)]
    [InlineData("127.0.0.1:5000/app", "127.0.0.1:5000", "app", null, null)]
    [InlineData("ghcr.io/org/app:1.0", "ghcr.io", "org/app", "1.0", null)]
    [InlineData("alpine", "docker.io", "library/alpine", null, null)]
    [InlineData("user/app:tag", "docker.io", "user/app", "tag", null)]
    [InlineData("host:1/x@sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", "host:1", "x", null,
        "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")]
    public void Parse_SplitsHostNameTagAndDigest(string text, string registry, string repository, string? tag, string? digest)
    {
        var reference = ImageReference.Parse(text);
        Assert.Equal(registry, reference.Registry);
        Assert.Equal(repository, reference.Repository);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(digest, reference.Digest?.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("host:5000/UPPER:v1")]
    [InlineData("host:5000/a:bad tag")]
    [InlineData("host:5000/a@sha256:short")]
    public void Parse_RefusesInvalidReferences(string text) => Assert.False(ImageReference.TryParse(text, out _, out _));

    [Theory]
    [InlineData("localhost:5000", true)]
    [InlineData("127.0.0.1:5000", true)]
    [InlineData("[::1]:5000", true)]
    [InlineData("registry.example:5000", false)]
    [InlineData("10.0.0.1:5000", false)]
    public void OnlyLoopbackGetsPlainHttpByDefault(string registry, bool plain)
    {
        using var client = new RegistryClientBuilder(registry).Build();
        Assert.Equal(plain ? "http" : "https", client.BaseAddress.Scheme);
        Assert.Equal(plain, RegistryClient.IsLoopback(registry));
    }

    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(5L * 1024 * 1024 * 1024, "5.0 GiB")]
    public void SizesReadAsBinaryUnits(long bytes, string text) => Assert.Equal(text, HumanUnits.Bytes(bytes));
}

public sealed class AuthenticationChallengeTests
{
    [Fact]
    public void Bearer_WithQuotedParameters()
    {
        var challenge = Assert.Single(AuthenticationChallenge.Parse(
            ["Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\""]));
        Assert.True(challenge.IsScheme("bearer"));
        Assert.Equal("https://auth.example/token", challenge["realm"]);
        Assert.Equal("registry.example", challenge["service"]);
        Assert.Equal("repository:a/b:pull,push", challenge["scope"]);
    }

    [Fact]
    public void SeveralChallenges_OnOneLine_AndQuotedPairs()
    {
        var challenges = AuthenticationChallenge.Parse(["Basic realm=\"a \\\"quoted\\\" realm\", Bearer realm=\"https://t\", error=invalid_token"]);
        Assert.Equal(2, challenges.Count);
        Assert.Equal("a \"quoted\" realm", challenges[0]["realm"]);
        Assert.Equal("https://t", challenges[1]["realm"]);
        Assert.Equal("invalid_token", challenges[1]["error"]);
    }
}

public sealed class DockerConfigTests
{
    [Fact]
    public async Task StoreThenRead_UsesBase64UserColonPassword_AndKeepsOtherSections()
    {
        using var folder = new TemporaryFolder();
        var file = folder.File("config.json", "{\"currentContext\":\"desktop-linux\",\"auths\":{\"other.example\":{\"auth\":\"eDp5\"}}}"u8.ToArray());
        var store = new DockerConfigCredentialStore(file);

        store.Store("localhost:5000", new RegistryCredential("alice", "s3:cret"));

        var text = await File.ReadAllTextAsync(file);
        Assert.Contains("\"currentContext\": \"desktop-linux\"", text);
        Assert.Contains(Convert.ToBase64String("alice:s3:cret"u8.ToArray()), text);
        Assert.Equal(new RegistryCredential("alice", "s3:cret"), await store.GetCredentialAsync("localhost:5000", default));
        Assert.Equal(new RegistryCredential("x", "y"), await store.GetCredentialAsync("other.example", default));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file) & (UnixFileMode)0b111_111_111);
        }

        Assert.True(store.Remove("localhost:5000"));
        Assert.Null(await store.GetCredentialAsync("localhost:5000", default));
    }

    [Fact]
    public async Task DockerHubKeys_MatchTheHubHost()
    {
        using var folder = new TemporaryFolder();
        var file = folder.File("config.json", "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"dTpw\"}}}"u8.ToArray());
        Assert.Equal(new RegistryCredential("u", "p"), await new DockerConfigCredentialStore(file).GetCredentialAsync("docker.io", default));
    }
}

public sealed class LoginCommandTests(BerthRegistryFixture registry) : IClassFixture<BerthRegistryFixture>
{
    [Fact]
    public async Task LoginWritesAuths_LogoutRemovesThem()
    {
        using var cli = new CliRunner();
        var login = await cli.RunAsync("login", registry.Host, "-u", "ci", "-p", "secret", "--output", "json");
        Assert.True(login.ExitCode == 0, login.ToString());
        var config = await File.ReadAllTextAsync(Path.Combine(cli.ConfigDirectory, "config.json"));
        Assert.Contains(registry.Host, config);
        Assert.Contains(Convert.ToBase64String("ci:secret"u8.ToArray()), config);

        var logout = await cli.RunAsync("logout", registry.Host);
        Assert.True(logout.ExitCode == 0, logout.ToString());
        Assert.DoesNotContain(registry.Host, await File.ReadAllTextAsync(Path.Combine(cli.ConfigDirectory, "config.json")));
    }

    [Fact]
    public async Task MissingArguments_ExitWithUsage()
    {
        using var cli = new CliRunner();
        Assert.Equal(2, (await cli.RunAsync("tag")).ExitCode);
        Assert.Equal(2, (await cli.RunAsync("index", "add", $"{registry.Host}/a@sha256:{new string('0', 64)}", "sha256:x")).ExitCode);
    }

    [Fact]
    public async Task EveryCommandHasHelp()
    {
        using var cli = new CliRunner();
        string[][] commands =
        [
            ["login"], ["logout"], ["push"], ["pull"], ["copy"], ["tag"], ["tags"], ["manifest", "get"], ["manifest", "put"],
            ["manifest", "delete"], ["blob", "get"], ["blob", "put"], ["blob", "delete"], ["referrers"], ["attach"], ["history"],
            ["index", "add"], ["index", "remove"],
        ];
        foreach (var command in commands)
        {
            var help = await cli.RunAsync([.. command, "--help"]);
            Assert.True(help.ExitCode == 0, $"{string.Join(' ', command)}: {help}");
            Assert.Contains("Usage:", help.Output);
            Assert.Contains("--output", help.Output);
        }
    }
}
