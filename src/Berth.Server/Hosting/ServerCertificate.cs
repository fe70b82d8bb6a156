using System.Security.Cryptography.X509Certificates;

namespace Berth.Server.Hosting;

/// <summary>Loads the TLS certificate, its key and its chain from PEM files.</summary>
internal static class ServerCertificate
{
    public static (X509Certificate2 Certificate, X509Certificate2Collection Chain) Load(TlsOptions tls)
    {
        if (tls.Certificate.Length == 0 || tls.Key.Length == 0) throw new ArgumentException("tls needs both a certificate and a key file");
        using var pem = X509Certificate2.CreateFromPemFile(tls.Certificate, tls.Key);
        if (!pem.HasPrivateKey) throw new ArgumentException($"{tls.Key} holds no private key for {tls.Certificate}");
        // A key imported from PEM is ephemeral; a PKCS#12 round trip gives one that TLS can use on every platform.
        var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(tls.Certificate);
        var chain = new X509Certificate2Collection();
        foreach (var intermediate in all.Skip(1)) chain.Add(intermediate);
        return (certificate, chain);
    }
}
