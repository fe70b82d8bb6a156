using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Berth.Server.Hosting;
using Berth.Server.Tests.Support;

namespace Berth.Server.Tests;

/// <summary>HTTPS speaks TLS 1.2 and 1.3 (set explicitly, not left to the OS), and nothing older (RFC 8996).</summary>
public sealed class TlsProtocolTests
{
    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task AllowedVersions_Handshake(SslProtocols version)
    {
        using var certificate = SelfSignedCertificate.Create();
        await using var registry = await StartAsync(certificate);
        await using var tls = await HandshakeAsync(registry, certificate, version);
        Assert.Equal(version, tls.SslProtocol);
    }

    [Fact]
    public async Task AClientOfferingBoth_GetsTls13()
    {
        using var certificate = SelfSignedCertificate.Create();
        await using var registry = await StartAsync(certificate);
        await using var tls = await HandshakeAsync(registry, certificate, SslProtocols.Tls12 | SslProtocols.Tls13);
        Assert.Equal(SslProtocols.Tls13, tls.SslProtocol);
    }

#pragma warning disable SYSLIB0039 // TLS 1.0 and 1.1 are obsolete: this test checks that they are refused.
    [Theory]
    [InlineData(SslProtocols.Tls11)]
    [InlineData(SslProtocols.Tls | SslProtocols.Tls11)]
    public async Task OlderVersions_AreRefused(SslProtocols version)
    {
        using var certificate = SelfSignedCertificate.Create();
        await using var registry = await StartAsync(certificate);
        var refused = await Record.ExceptionAsync(async () => await (await HandshakeAsync(registry, certificate, version)).DisposeAsync());
        Assert.True(refused is AuthenticationException or IOException, $"expected a failed handshake, got {refused?.GetType().Name ?? "success"}");
    }
#pragma warning restore SYSLIB0039

    private static Task<InProcessBerth> StartAsync(SelfSignedCertificate certificate) =>
        InProcessBerth.StartAsync(server: options => options with
        {
            Tls = new TlsOptions { Certificate = certificate.CertificateFile, Key = certificate.KeyFile },
        });

    private static async Task<SslStream> HandshakeAsync(InProcessBerth registry, SelfSignedCertificate certificate, SslProtocols version)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(registry.Address.Host, registry.Address.Port);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                EnabledSslProtocols = version,
                RemoteCertificateValidationCallback = (_, presented, _, _) =>
                    presented is not null && presented.GetCertHashString() == certificate.Certificate.GetCertHashString(),
            });
            return tls;
        }
        catch
        {
            await tls.DisposeAsync();
            tcp.Dispose();
            throw;
        }
    }
}
