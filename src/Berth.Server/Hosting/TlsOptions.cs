namespace Berth.Server.Hosting;

/// <summary>HTTPS from PEM files: the certificate (followed by any intermediates) and its private key.</summary>
public sealed record TlsOptions
{
    public string Certificate { get; init; } = "";

    public string Key { get; init; } = "";
}
