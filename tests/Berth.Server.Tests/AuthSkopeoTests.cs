using System.Net;
using Berth.Server.Hosting;
using Berth.Server.Tests.Support;

namespace Berth.Server.Tests;

/// <summary>
/// A real client through the token service: skopeo follows the Bearer challenge to /auth/token with the
/// credentials it was given, over HTTPS with the test certificate as its only trusted authority.
/// </summary>
public sealed class AuthSkopeoTests
{
    [Fact]
    public async Task Skopeo_CopiesAnImageInWithCredentials_AndIsRefusedWithout()
    {
        using var certificate = SelfSignedCertificate.Create();
        await using var registry = await InProcessBerth.StartAsync(server: options => options with
        {
            Tls = new TlsOptions { Certificate = certificate.CertificateFile, Key = certificate.KeyFile },
            Auth = AuthScenario.Options,
        });
        // The client's certificate folder holds only the authority (a lone *.key there would be read as a client key).
        var trust = Path.Combine(certificate.Folder, "trust");
        Directory.CreateDirectory(trust);
        File.Copy(certificate.CertificateFile, Path.Combine(trust, "ca.crt"));
        var layout = Path.Combine(certificate.Folder, "layout");
        var digest = OciLayoutImage.Write(layout, "v1");
        var target = $"docker://{registry.Address.Authority}";

        var (code, output) = await Skopeo.RunAsync("copy", "--preserve-digests", "--dest-cert-dir", trust, "--dest-creds", "alice:alice-secret",
            $"oci:{layout}:v1", $"{target}/team/app:v1");
        Assert.True(code == 0, output);

        using var client = certificate.CreateClient(registry.Address);
        client.DefaultRequestHeaders.Authorization = AuthScenario.Basic(AuthScenario.Rita);
        using var pulled = await client.GetAsync("/v2/team/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(digest, pulled.Header("Docker-Content-Digest"));

        // rita may only pull team/**: the push is denied.
        (code, output) = await Skopeo.RunAsync("copy", "--preserve-digests", "--dest-cert-dir", trust, "--dest-creds", "rita:rita-secret",
            $"oci:{layout}:v1", $"{target}/team/copy:v1");
        Assert.NotEqual(0, code);
        Assert.Contains("denied", output, StringComparison.OrdinalIgnoreCase);

        // A wrong password never gets a token.
        (code, output) = await Skopeo.RunAsync("inspect", "--cert-dir", trust, "--creds", "alice:wrong", $"{target}/team/app:v1");
        Assert.NotEqual(0, code);
        Assert.Contains("unauthorized", output, StringComparison.OrdinalIgnoreCase);

        // And rita can read it back with skopeo too.
        (code, output) = await Skopeo.RunAsync("inspect", "--raw", "--cert-dir", trust, "--creds", "rita:rita-secret", $"{target}/team/app:v1");
        Assert.True(code == 0, output);
        Assert.Equal(digest, Sha256(System.Text.Encoding.UTF8.GetBytes(output)));
    }
}
