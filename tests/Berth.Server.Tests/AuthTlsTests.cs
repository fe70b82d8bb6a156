using System.Net;
using System.Text.Json;
using Berth.Server.Hosting;
using Berth.Server.Tests.Support;

namespace Berth.Server.Tests;

/// <summary>HTTPS from PEM files, with HTTP/2 negotiated by ALPN; the token realm follows the scheme.</summary>
public sealed class AuthTlsTests
{
    [Fact]
    public async Task Https_Http2_TokenLoginAndPush()
    {
        using var certificate = SelfSignedCertificate.Create();
        await using var registry = await InProcessBerth.StartAsync(server: options => options with
        {
            Tls = new TlsOptions { Certificate = certificate.CertificateFile, Key = certificate.KeyFile },
            Auth = AuthScenario.Options,
        });
        Assert.Equal("https", registry.Address.Scheme);
        using var client = certificate.CreateClient(registry.Address);
        client.DefaultRequestVersion = HttpVersion.Version20;
        client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;

        using var challenge = await client.GetAsync("/v2/");
        Assert.Equal(HttpVersion.Version20, challenge.Version);
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        Assert.StartsWith($"Bearer realm=\"https://{registry.Address.Authority}/auth/token\"", challenge.Header("WWW-Authenticate"));

        client.DefaultRequestHeaders.Authorization = AuthScenario.Basic(AuthScenario.Alice);
        using var tokenResponse = await client.GetAsync("/auth/token?scope=repository:team/app:pull,push");
        Assert.Equal(HttpVersion.Version20, tokenResponse.Version);
        using var body = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync());
        client.DefaultRequestHeaders.Authorization = AuthScenario.Bearer(body.RootElement.GetProperty("token").GetString()!);
        var digest = await client.PushImageAsync("team/app", "v1", seed: 3);
        using var pulled = await client.GetAsync("/v2/team/app/manifests/v1");
        Assert.Equal(HttpVersion.Version20, pulled.Version);
        Assert.Equal(digest, pulled.Header("Docker-Content-Digest"));
    }

    [Fact]
    public async Task Https_StillServesHttp11()
    {
        using var certificate = SelfSignedCertificate.Create();
        await using var registry = await InProcessBerth.StartAsync(server: options => options with
        {
            Tls = new TlsOptions { Certificate = certificate.CertificateFile, Key = certificate.KeyFile },
        });
        using var client = certificate.CreateClient(registry.Address);
        using var response = await client.GetAsync("/v2/");
        Assert.Equal(HttpVersion.Version11, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void MissingKeyFile_FailsBeforeListening()
    {
        using var certificate = SelfSignedCertificate.Create();
        var options = new ServerOptions
        {
            Listen = "127.0.0.1:0",
            Registry = new Berth.Registry.RegistryOptions { DataDirectory = Path.Combine(certificate.Folder, "data") },
            Tls = new TlsOptions { Certificate = certificate.CertificateFile, Key = Path.Combine(certificate.Folder, "missing.key") },
        };
        Assert.ThrowsAny<IOException>(() => RegistryServer.Create(options));
        Assert.False(Directory.Exists(options.Registry.DataDirectory));
    }

    [Theory]
    [InlineData("127.0.0.1:5000", false, false, 0)]
    [InlineData("localhost:5000", false, false, 0)]
    [InlineData("[::1]:5000", false, false, 0)]
    [InlineData("0.0.0.0:5000", false, false, 2)]
    [InlineData("0.0.0.0:5000", true, false, 1)]
    [InlineData(":5000", false, true, 1)]
    [InlineData("0.0.0.0:5000", true, true, 0)]
    public void ExposureWarnings_OnlyOffLoopbackWithoutTlsOrAuth(string listen, bool tls, bool auth, int expected)
    {
        var options = new ServerOptions
        {
            Listen = listen,
            Tls = tls ? new TlsOptions { Certificate = "c", Key = "k" } : null,
            Auth = auth ? AuthScenario.Options : null,
        };
        Assert.Equal(expected, ExposureWarnings.For(options).Count);
    }
}
