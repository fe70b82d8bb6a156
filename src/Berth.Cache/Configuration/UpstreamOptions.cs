using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text;
using Berth.Oci.Names;

namespace Berth.Cache.Configuration;

/// <summary>
/// One upstream registry cached under a local prefix: pulls of <c>&lt;prefix&gt;/&lt;name&gt;</c> are served from
/// the cache and filled from <c>&lt;url&gt;/&lt;remotePrefix&gt;/&lt;name&gt;</c>.
/// </summary>
public sealed record UpstreamOptions : IValidatableObject
{
    /// <summary>The local repository prefix, e.g. "dockerhub" (one or more name segments, no trailing slash).</summary>
    public string Prefix { get; init; } = "";

    /// <summary>The upstream registry, e.g. "https://registry-1.docker.io"; http:// only for test and private upstreams.</summary>
    public string Url { get; init; } = "";

    /// <summary>Prepended to names upstream, e.g. "library" so that dockerhub/busybox is library/busybox on Docker Hub.</summary>
    public string? RemotePrefix { get; init; }

    public string? Username { get; init; }

    [PasswordPropertyText(true)]
    public string? Password { get; init; }

    /// <summary>A docker config.json whose credentials for the upstream's host are used when no username is set.</summary>
    public string? DockerConfig { get; init; }

    /// <summary>
    /// A PEM file with the certificate authority that signed the upstream's TLS certificate (a private registry);
    /// null: the system's trust store.
    /// </summary>
    public string? CaCertificate { get; init; }

    /// <summary>How long a cached tag is served without asking upstream.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long after its last successful check a cached tag may still be served while upstream fails.</summary>
    public TimeSpan MaxStale { get; init; } = TimeSpan.FromDays(1);

    /// <summary>
    /// A cached manifest nobody pulled for this long is evicted (its blobs then go with the next garbage
    /// collection unless another repository holds them). Null: never for want of use.
    /// </summary>
    public TimeSpan? EvictAfter { get; init; } = TimeSpan.FromDays(30);

    /// <summary>The most bytes of blobs this upstream's cached manifests may reference; least recently pulled go first. Null: no cap.</summary>
    public long? MaxBytes { get; init; }

    /// <summary>How long one upstream request may take before the cache gives up on it (and serves what it has).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Registry hosts this upstream mirrors (e.g. "docker.io"): containerd asks a mirror with <c>?ns=docker.io</c>,
    /// and such pulls of plain names are served from this upstream.
    /// </summary>
    public IReadOnlyList<string> MirrorOf { get; init; } = [];

    /// <summary>Also serve pulls of plain names that no local repository holds (docker's registry-mirrors sends no ns).</summary>
    public bool DefaultMirror { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(Prefix) || !RepositoryName.IsValid(Prefix))
        {
            yield return new ValidationResult("must be a repository name prefix such as 'dockerhub'", [nameof(Prefix)]);
        }
        if (!Uri.TryCreate(Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult("must be an http:// or https:// URL", [nameof(Url)]);
        }
        if (RemotePrefix is { Length: > 0 } remote && !RepositoryName.IsValid(remote))
        {
            yield return new ValidationResult("must be a repository name prefix such as 'library'", [nameof(RemotePrefix)]);
        }
        if (CaCertificate is { } ca && !File.Exists(ca)) yield return new ValidationResult($"no such file: {ca}", [nameof(CaCertificate)]);
        if ((Username is null) != (Password is null)) yield return new ValidationResult("username and password go together", [nameof(Username), nameof(Password)]);
        if (Ttl < TimeSpan.Zero) yield return new ValidationResult("must not be negative", [nameof(Ttl)]);
        if (MaxStale < TimeSpan.Zero) yield return new ValidationResult("must not be negative", [nameof(MaxStale)]);
        if (Timeout <= TimeSpan.Zero) yield return new ValidationResult("must be positive", [nameof(Timeout)]);
        if (EvictAfter <= TimeSpan.Zero) yield return new ValidationResult("must be positive", [nameof(EvictAfter)]);
        if (MaxBytes <= 0) yield return new ValidationResult("must be positive", [nameof(MaxBytes)]);
    }

    // Records print every property; the password must never reach a log.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Prefix = {Prefix}, Url = {Url}, RemotePrefix = {RemotePrefix}, Username = {Username}, ");
        builder.Append($"Password = {(Password is null ? "" : "***")}, Ttl = {Ttl}, MaxStale = {MaxStale}");
        return true;
    }
}
