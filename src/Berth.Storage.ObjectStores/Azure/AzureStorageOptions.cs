using System.Text;

namespace Berth.Storage.ObjectStores.Azure;

/// <summary>
/// Where and how to reach an Azure Blob container. Exactly one way to authenticate: a
/// <see cref="ConnectionString"/>, or <see cref="ServiceUri"/> (or <see cref="AccountName"/>) with an
/// <see cref="AccountKey"/>, or <see cref="ServiceUri"/> with a <see cref="SasToken"/>.
/// </summary>
public sealed record AzureStorageOptions
{
    public required string Container { get; init; }

    public string? ConnectionString { get; init; }

    /// <summary>The blob service endpoint; https://&lt;account&gt;.blob.core.windows.net when null.</summary>
    public string? ServiceUri { get; init; }

    public string? AccountName { get; init; }
    public string? AccountKey { get; init; }

    /// <summary>A shared access signature for the account or the container (without a leading '?').</summary>
    public string? SasToken { get; init; }

    /// <summary>Keys are stored under this prefix, so one container can hold several registries.</summary>
    public string KeyPrefix { get; init; } = "";

    /// <summary>Answer blob GETs with 307 to a SAS URL instead of streaming the bytes (off by default; needs an account key).</summary>
    public bool Redirect { get; init; }

    public TimeSpan RedirectUrlLifetime { get; init; } = TimeSpan.FromMinutes(20);

    /// <summary>Upload chunks are staged in blocks of at most this size (Azure has no minimum).</summary>
    public int BlockBytes { get; init; } = 16 << 20;

    public int MaxRetries { get; init; } = 3;

    // Records print every property; keys, SAS tokens and connection strings must never reach a log.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Container = {Container}, ServiceUri = {ServiceUri}, AccountName = {AccountName}, ");
        builder.Append($"ConnectionString = {(ConnectionString is null ? "" : "***")}, AccountKey = {(AccountKey is null ? "" : "***")}, ");
        builder.Append($"SasToken = {(SasToken is null ? "" : "***")}, KeyPrefix = {KeyPrefix}, Redirect = {Redirect}");
        return true;
    }
}
