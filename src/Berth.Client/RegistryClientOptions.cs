using Berth.Client.Auth;

namespace Berth.Client;

/// <summary>Immutable settings of a <see cref="RegistryClient"/>; build them with <see cref="RegistryClientBuilder"/>.</summary>
public sealed record RegistryClientOptions
{
    /// <summary>host[:port] of the registry, as in a reference ("localhost:5000", "ghcr.io").</summary>
    public required string Registry { get; init; }

    /// <summary>
    /// Speak plain HTTP to a host that is not loopback. Off by default: credentials and tokens would
    /// cross the network in clear text. Loopback registries always use plain HTTP.
    /// </summary>
    public bool AllowPlainHttp { get; init; }

    /// <summary>Speak https even to a loopback host (a local registry that terminates TLS itself).</summary>
    public bool ForceTls { get; init; }

    public ICredentialProvider? Credentials { get; init; }

    /// <summary>Blobs up to this size go in one PUT; larger ones are sent in chunks of <see cref="ChunkSize"/>.</summary>
    public long MonolithicUploadLimit { get; init; } = 16 * 1024 * 1024;

    public int ChunkSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>How many times a transfer reconnects and resumes after the connection drops.</summary>
    public int TransferResumeAttempts { get; init; } = 5;

    /// <summary>Conditional read-modify-write attempts before giving up (conditional-requests §5.4: about 8).</summary>
    public int MaxUpdateAttempts { get; init; } = 8;

    /// <summary>First back-off after a 412; it doubles per attempt up to <see cref="MaxRetryDelay"/>, with full jitter.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Delete the referrers-tag index a subject's fallback update replaced (distribution-spec "Referrers
    /// Tag Schema"; oras-go does the same unless SkipReferrersGC). Default true.
    /// </summary>
    public bool DeleteReplacedReferrersIndexes { get; init; } = true;

    public string UserAgent { get; init; } = "berth-client/0.1";

    /// <summary>Lets a caller adjust the socket handler (TLS, proxies, timeouts) before it is used.</summary>
    public Action<SocketsHttpHandler>? ConfigureTransport { get; init; }
}

/// <summary>Fluent construction of <see cref="RegistryClientOptions"/> and then the client.</summary>
public sealed class RegistryClientBuilder(string registry)
{
    private RegistryClientOptions _options = new() { Registry = registry };

    public RegistryClientBuilder WithCredentials(ICredentialProvider? credentials)
    {
        _options = _options with { Credentials = credentials };
        return this;
    }

    public RegistryClientBuilder AllowPlainHttp(bool allow = true)
    {
        _options = _options with { AllowPlainHttp = allow };
        return this;
    }

    public RegistryClientBuilder Configure(Func<RegistryClientOptions, RegistryClientOptions> change)
    {
        _options = change(_options);
        return this;
    }

    public RegistryClientOptions Options => _options;

    public RegistryClient Build() => new(_options);
}
