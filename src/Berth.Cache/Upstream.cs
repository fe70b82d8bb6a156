using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Berth.Cache.Configuration;
using Berth.Client;
using Berth.Client.Auth;

namespace Berth.Cache;

/// <summary>
/// One configured upstream at run time: its client (Berth.Client, with its token and Basic flows) and when
/// each cached tag was last confirmed. Those times are kept in memory: after a restart the first pull of a
/// tag asks upstream once (a conditional request), then the ttl applies again.
/// </summary>
public sealed class Upstream : IDisposable
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _confirmed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _failing = new(StringComparer.Ordinal);

    public Upstream(UpstreamOptions options)
    {
        Options = options;
        var url = new Uri(options.Url);
        Host = url.IsDefaultPort ? url.Host : $"{url.Host}:{url.Port}";
        ICredentialProvider? credentials = options.Username is { } user
            ? new StaticCredentialProvider(new RegistryCredential(user, options.Password!))
            : options.DockerConfig is { } config ? new DockerConfigCredentialStore(config) : null;
        var authority = options.CaCertificate is { } file ? X509Certificate2.CreateFromPem(File.ReadAllText(file)) : null;
        Client = new RegistryClientBuilder(Host)
            .WithCredentials(credentials)
            .AllowPlainHttp(url.Scheme == Uri.UriSchemeHttp)
            .Configure(o => o with
            {
                UserAgent = "berth-cache/0.1",
                ForceTls = url.Scheme == Uri.UriSchemeHttps,
                ConfigureTransport = authority is null ? null : transport => transport.SslOptions.RemoteCertificateValidationCallback =
                    (_, certificate, _, errors) => TrustedBy(authority, certificate, errors),
            })
            .Build();
        Prefix = options.Prefix.TrimEnd('/');
    }

    public UpstreamOptions Options { get; }

    /// <summary>
    /// The upstream's certificate chains to the configured authority (RFC 5280 path validation with it as the only
    /// root) and names the host; the system's roots are not consulted for this upstream.
    /// </summary>
    private static bool TrustedBy(X509Certificate2 authority, X509Certificate? presented, SslPolicyErrors errors)
    {
        if (presented is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }
        using var certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    /// <summary>"host[:port]" of the upstream, as logs and errors name it.</summary>
    public string Host { get; }

    public string Prefix { get; }

    public RegistryClient Client { get; }

    /// <summary>
    /// Set once the upstream answered a held digest's If-None-Match with the whole body: from then on a tag is
    /// checked with a HEAD comparing Docker-Content-Digest, which transfers no body either.
    /// </summary>
    public bool IgnoresConditions { get; internal set; }

    /// <summary>The upstream name of a local name under this prefix, or null when the name is outside it.</summary>
    public string? RemoteNameOf(string localName)
    {
        if (!localName.StartsWith(Prefix + "/", StringComparison.Ordinal)) return null;
        var rest = localName[(Prefix.Length + 1)..];
        return Options.RemotePrefix is { Length: > 0 } remote ? $"{remote.TrimEnd('/')}/{rest}" : rest;
    }

    /// <summary>
    /// The local name under which a plain (mirrored) name is cached: a mirrored pull names the repository as it
    /// is upstream, so a remote prefix it starts with is taken off again; a name outside it has no local name.
    /// </summary>
    public string? LocalNameOf(string upstreamName)
    {
        if (Options.RemotePrefix is not { Length: > 0 } remote) return $"{Prefix}/{upstreamName}";
        var start = remote.TrimEnd('/') + "/";
        return upstreamName.StartsWith(start, StringComparison.Ordinal) ? $"{Prefix}/{upstreamName[start.Length..]}" : null;
    }

    internal DateTimeOffset? ConfirmedAt(string repository, string tag) =>
        _confirmed.TryGetValue(Key(repository, tag), out var at) ? at : null;

    internal void Confirm(string repository, string tag, DateTimeOffset at)
    {
        _confirmed[Key(repository, tag)] = at;
        _failing.TryRemove(Key(repository, tag), out _);
    }

    internal void Forget(string repository, string tag) => _confirmed.TryRemove(Key(repository, tag), out _);

    /// <summary>
    /// After a failed check, the stale copy is served without asking again for a while, so a hanging upstream costs
    /// one timeout per tag and back-off period rather than one per pull.
    /// </summary>
    internal void Failing(string repository, string tag, DateTimeOffset until) => _failing[Key(repository, tag)] = until;

    internal bool IsFailing(string repository, string tag, DateTimeOffset now) =>
        _failing.TryGetValue(Key(repository, tag), out var until) && now < until;

    /// <summary>Forgets every confirmation in a repository whose content was evicted, so the next pull asks upstream.</summary>
    internal void ForgetRepository(string repository)
    {
        foreach (var key in _confirmed.Keys.Where(k => k.StartsWith(repository + ":", StringComparison.Ordinal))) _confirmed.TryRemove(key, out _);
    }

    private static string Key(string repository, string tag) => repository + ":" + tag;

    public void Dispose() => Client.Dispose();
}
