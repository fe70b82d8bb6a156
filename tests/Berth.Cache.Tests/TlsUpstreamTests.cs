using System.Net;
using System.Net.Http.Headers;
using Berth.Cache.Configuration;
using Berth.Server.Hosting;

namespace Berth.Cache.Tests;

/// <summary>An upstream serving https with a certificate from a private authority.</summary>
public sealed class TlsUpstreamTests
{
    [Fact]
    public async Task WithItsAuthorityConfigured_TheUpstreamIsTrusted_AndWithoutItThePullFailsCleanly()
    {
        using var certificate = SelfSignedCertificate.Create();
        await using var upstream = await InProcessBerth.StartAsync(server: options => options with
        {
            Tls = new TlsOptions { Certificate = certificate.CertificateFile, Key = certificate.KeyFile },
        });
        Assert.Equal("https", upstream.Address.Scheme);
        var image = TestImage.FromSeed(50);
        var digest = await upstream.Registry.PushImageAsync("team/app", "v1", image);
        var url = upstream.Address.ToString().TrimEnd('/');

        await using (var trusting = await StartCacheAsync(new UpstreamOptions { Prefix = "private", Url = url, CaCertificate = certificate.CertificateFile }))
        {
            using var pulled = await GetManifestAsync(trusting, "private/team/app", "v1");
            Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
            Assert.Equal(digest.ToString(), pulled.Headers.GetValues("Docker-Content-Digest").Single());
        }

        // The system's trust store does not know the private authority: a clear 503, nothing cached.
        await using var untrusting = await StartCacheAsync(new UpstreamOptions { Prefix = "private", Url = url });
        using var refused = await GetManifestAsync(untrusting, "private/team/app", "v1");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains(upstream.Host, await refused.Content.ReadAsStringAsync());
    }

    private static Task<InProcessBerth> StartCacheAsync(UpstreamOptions upstream) =>
        InProcessBerth.StartAsync(server: options => options with { Cache = new CacheOptions { Upstreams = [upstream] } });

    private static async Task<HttpResponseMessage> GetManifestAsync(InProcessBerth cache, string name, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{name}/manifests/{reference}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciManifest));
        return await cache.Client.SendAsync(request);
    }
}
