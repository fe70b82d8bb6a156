using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text;

namespace Berth.Storage.Configuration;

/// <summary>
/// Where and how to reach an Azure Blob container. Exactly one way to authenticate: a
/// <see cref="ConnectionString"/>, or <see cref="ServiceUri"/> (or <see cref="AccountName"/>) with an
/// <see cref="AccountKey"/>, or <see cref="ServiceUri"/> with a <see cref="SasToken"/>.
/// </summary>
public sealed record AzureStorageOptions : IValidatableObject
{
    public string Container { get; init; } = "";

    [PasswordPropertyText(true)]
    public string? ConnectionString { get; init; }

    /// <summary>The blob service endpoint; https://&lt;account&gt;.blob.core.windows.net when null.</summary>
    public string? ServiceUri { get; init; }

    public string? AccountName { get; init; }
    [PasswordPropertyText(true)]
    public string? AccountKey { get; init; }

    /// <summary>A shared access signature for the account or the container (without a leading '?').</summary>
    [PasswordPropertyText(true)]
    public string? SasToken { get; init; }

    /// <summary>Keys are stored under this prefix, so one container can hold several registries.</summary>
    public string KeyPrefix { get; init; } = "";

    /// <summary>Answer blob GETs with 307 to a SAS URL instead of streaming the bytes (off by default; needs an account key).</summary>
    public bool Redirect { get; init; }

    public TimeSpan RedirectUrlLifetime { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>Upload chunks are staged in blocks of at most this size (Azure has no minimum).</summary>
    public int BlockBytes { get; init; } = 16 << 20;

    public int MaxRetries { get; init; } = 3;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Container)) yield return new ValidationResult("an Azure container name is required", [nameof(Container)]);
        if (ConnectionString is null && AccountKey is null && SasToken is null)
        {
            yield return new ValidationResult("needs connectionString, accountKey (with serviceUri or accountName) or sasToken (with serviceUri)",
                [nameof(ConnectionString), nameof(AccountKey), nameof(SasToken)]);
        }
        if (ServiceUri is not null && !Uri.TryCreate(ServiceUri, UriKind.Absolute, out _))
        {
            yield return new ValidationResult("must be an absolute URL", [nameof(ServiceUri)]);
        }
        if (BlockBytes <= 0) yield return new ValidationResult("must be positive", [nameof(BlockBytes)]);
    }

    // Records print every property; keys, SAS tokens and connection strings must never reach a log.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Container = {Container}, ServiceUri = {ServiceUri}, AccountName = {AccountName}, ");
        builder.Append($"ConnectionString = {(ConnectionString is null ? "" : "***")}, AccountKey = {(AccountKey is null ? "" : "***")}, ");
        builder.Append($"SasToken = {(SasToken is null ? "" : "***")}, KeyPrefix = {KeyPrefix}, Redirect = {Redirect}");
        return true;
    }
}
