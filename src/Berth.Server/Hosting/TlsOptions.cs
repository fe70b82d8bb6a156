using System.ComponentModel.DataAnnotations;

namespace Berth.Server.Hosting;

/// <summary>HTTPS from PEM files: the certificate (followed by any intermediates) and its private key.</summary>
public sealed record TlsOptions : IValidatableObject
{
    public string Certificate { get; init; } = "";

    public string Key { get; init; } = "";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Certificate.Length == 0) yield return new ValidationResult("tls needs a certificate file as well as a key", [nameof(Certificate)]);
        if (Key.Length == 0) yield return new ValidationResult("tls needs a key file as well as a certificate", [nameof(Key)]);
    }
}
