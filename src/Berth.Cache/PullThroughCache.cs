using System.Net;
using Berth.Cache.Configuration;
using Berth.Client.Errors;
using Berth.Oci.Digests;
using Berth.Oci.Errors;
using Berth.Oci.Names;
using Berth.Oci.Preconditions;
using Berth.Registry;
using Microsoft.Extensions.Logging;

namespace Berth.Cache;

/// <summary>
/// The pull-through cache. Before a read of a repository under an upstream's prefix is answered from the local
/// registry, <see cref="PrepareManifestAsync"/> or <see cref="PrepareBlobAsync"/> makes sure the registry holds
/// what it may serve: a tag confirmed within its ttl is served as it is; after the ttl one conditional request
/// (If-None-Match with the digest held, RFC 9110 §13.1.2) either confirms it, with no body transferred, or brings
/// the new manifest, verified and stored so the tag history records the move; when upstream fails the copy is
/// served up to maxStale. Content by digest is immutable and never asked for twice. The cache writes through
/// the registry's own operations, so every rule of a push (digests verified, writes atomic) holds for it too.
/// </summary>
public sealed class PullThroughCache : IDisposable
{
    private volatile IReadOnlyList<Upstream> _upstreams;
    private readonly BerthRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SingleFlight<RegistryError?> _flights = new();
    private readonly CacheEviction _eviction;

    public PullThroughCache(CacheOptions options, BerthRegistry registry, TimeProvider time, ILogger logger)
    {
        _upstreams = Build(options);
        _registry = registry;
        _time = time;
        _logger = logger;
        _eviction = new CacheEviction(registry, time, logger);
    }

    public IReadOnlyList<Upstream> Upstreams => _upstreams;

    /// <summary>
    /// Takes new upstreams while running (config reload). Requests in flight finish on the upstreams they started
    /// with, which are closed a while later; what each knew about tag freshness is dropped, so the next pull of a
    /// tag asks upstream once (a conditional request: nothing is transferred when the tag did not move).
    /// </summary>
    public void Reload(CacheOptions options)
    {
        var retired = _upstreams;
        _upstreams = Build(options);
        _ = Task.Delay(RetiredUpstreamLifetime, _time).ContinueWith(_ =>
        {
            foreach (var upstream in retired) upstream.Dispose();
        }, TaskScheduler.Default);
    }

    /// <summary>Longer than any upstream request may take (a large layer from a slow upstream).</summary>
    private static readonly TimeSpan RetiredUpstreamLifetime = TimeSpan.FromMinutes(30);

    // Longest prefix first, so "hub/library" wins over "hub" for names under both.
    private static List<Upstream> Build(CacheOptions options) =>
        options.Upstreams.Select(o => new Upstream(o)).OrderByDescending(u => u.Prefix.Length).ToList();

    /// <summary>The upstream a local repository name is cached from, or null for an ordinary repository.</summary>
    public CachedRepository? Find(string localName)
    {
        foreach (var upstream in _upstreams)
        {
            if (upstream.RemoteNameOf(localName) is { } remote) return new CachedRepository(upstream, localName, remote);
        }
        return null;
    }

    /// <summary>
    /// Mirror mode: the local name a pull of a plain <paramref name="name"/> is served under, or null when it stays
    /// an ordinary pull. containerd names the registry it mirrors in <c>?ns=</c>; docker's registry-mirrors sends
    /// nothing, so plain names that no local repository holds go to the default mirror.
    /// </summary>
    public string? MirroredName(string name, string? ns)
    {
        if (Find(name) is not null) return null;
        if (ns is { Length: > 0 })
        {
            var mirror = _upstreams.FirstOrDefault(u => u.Options.MirrorOf.Any(host => string.Equals(host, ns, StringComparison.OrdinalIgnoreCase)));
            return mirror is null ? null : Checked(mirror.LocalNameOf(name));
        }
        var fallback = _upstreams.FirstOrDefault(u => u.Options.DefaultMirror);
        if (fallback is null || _registry.Listings.RepositoryExists(name)) return null;
        return Checked(fallback.LocalNameOf(name));

        static string? Checked(string? local) => local is not null && RepositoryName.IsValid(local) ? local : null;
    }

    /// <summary>Makes the registry able to answer a read of <paramref name="reference"/>; an error when it cannot and upstream failed.</summary>
    public async Task<RegistryError?> PrepareManifestAsync(CachedRepository repository, string reference, CancellationToken cancellationToken)
    {
        var refusal = await FillManifestAsync(repository, reference, cancellationToken);
        if (refusal is null) _eviction.Pulled(repository.LocalName, reference);
        return refusal;
    }

    /// <summary>
    /// Evicts, for every upstream, cached manifests unused for its <c>evictAfter</c> or beyond its <c>maxBytes</c>;
    /// garbage collection then removes the blobs no repository links any more.
    /// </summary>
    public async Task<int> EvictAsync(CancellationToken cancellationToken = default)
    {
        var evicted = 0;
        foreach (var upstream in _upstreams) evicted += (await _eviction.EvictAsync(upstream, cancellationToken)).Count;
        return evicted;
    }

    private Task<RegistryError?> FillManifestAsync(CachedRepository repository, string reference, CancellationToken cancellationToken)
    {
        if (!ManifestReference.TryParse(reference, out var parsed, out _)) return Task.FromResult<RegistryError?>(null);
        if (!parsed.IsTag)
        {
            if (_registry.Manifests.Read(repository.LocalName, reference, RequestPreconditions.None).IsSuccess)
            {
                return Served(CacheOutcome.Hit, repository, reference);
            }
            return _flights.RunAsync($"manifest {repository.LocalName}@{reference}", () => FetchByDigestAsync(repository, parsed.Digest), cancellationToken);
        }
        var tag = parsed.Tag!;
        if (IsFresh(repository, tag)) return Served(CacheOutcome.Hit, repository, tag);
        return _flights.RunAsync($"tag {repository.LocalName}:{tag}", () => RefreshTagAsync(repository, tag), cancellationToken);
    }

    /// <summary>
    /// Makes the registry hold the blob <paramref name="digest"/> in the repository, fetching it once however many
    /// ask. The request that starts the fetch may pass <paramref name="firstClient"/>, which then receives the
    /// bytes while they are stored (when it has <see cref="IFirstClientSink.Started"/>, its response is complete);
    /// the others wait and are served from the store.
    /// </summary>
    public async Task<RegistryError?> PrepareBlobAsync(CachedRepository repository, string digest, IFirstClientSink? firstClient,
        CancellationToken cancellationToken)
    {
        if (!Digest.TryParse(digest, out var parsed)) return null;
        if ((await _registry.Blobs.ReadAsync(repository.LocalName, digest, RequestPreconditions.None, cancellationToken)).IsSuccess)
        {
            return await Served(CacheOutcome.Hit, repository, digest);
        }
        return await _flights.RunAsync($"blob {repository.LocalName}@{digest}", () => FetchBlobAsync(repository, parsed, firstClient), cancellationToken);
    }

    /// <summary>A refusal for a write under a cached prefix: the content belongs to the upstream.</summary>
    public static RegistryError WriteRefused(CachedRepository repository) => RegistryError.Unsupported(
        $"'{repository.LocalName}' is a pull-through cache of {repository.Upstream.Host}/{repository.RemoteName}: push, tag and delete there", 405);

    /// <summary>
    /// Confirmed within the ttl. A confirmed tag is stored (only upstream's deletion and eviction remove it, and
    /// both forget the confirmation), so this costs no read: a hit reads the store once, as a local pull does.
    /// </summary>
    private bool IsFresh(CachedRepository repository, string tag) =>
        repository.Upstream.ConfirmedAt(repository.LocalName, tag) is { } confirmed
        && _time.GetUtcNow() - confirmed < repository.Upstream.Options.Ttl;

    private async Task<RegistryError?> RefreshTagAsync(CachedRepository repository, string tag)
    {
        // A flight that ended just before this one started may have confirmed the tag already.
        if (IsFresh(repository, tag)) return await Served(CacheOutcome.Hit, repository, tag);
        var upstream = repository.Upstream;
        var held = _registry.Manifests.Read(repository.LocalName, tag, RequestPreconditions.None);
        var heldDigest = held.IsSuccess ? held.Value!.Manifest.Digest : (Digest?)null;
        if (heldDigest is not null && upstream.IsFailing(repository.LocalName, tag, _time.GetUtcNow()) && WithinMaxStale(upstream, repository, tag, held))
        {
            return await Served(CacheOutcome.Stale, repository, tag);
        }
        try
        {
            using var timeout = new CancellationTokenSource(upstream.Options.Timeout);
            var remote = upstream.Client.Repository(repository.RemoteName);
            var now = _time.GetUtcNow();
            if (heldDigest is not { } digest)
            {
                var fetched = await remote.TryGetManifestAsync(tag, timeout.Token);
                if (fetched is null) return null; // the local read answers MANIFEST_UNKNOWN / NAME_UNKNOWN
                if (await StoreAsync(repository, tag, fetched.Manifest) is { } refused) return refused;
                upstream.Confirm(repository.LocalName, tag, now);
                return await Served(CacheOutcome.Miss, repository, tag);
            }
            var revalidation = upstream.IgnoresConditions
                ? await CompareByHeadAsync(remote, tag, digest, timeout.Token)
                : await remote.RevalidateManifestAsync(tag, digest, timeout.Token);
            if (revalidation is { BodyTransferred: true, IsUnchanged: true }) upstream.IgnoresConditions = true;
            if (revalidation is null)
            {
                // Deleted upstream: the cache follows rather than serve a tag that no longer exists there.
                _logger.TagGoneUpstream(repository.LocalName, tag);
                await _registry.Manifests.DeleteAsync(repository.LocalName, tag, RequestPreconditions.None, Actor(upstream));
                upstream.Forget(repository.LocalName, tag);
                return null;
            }
            if (revalidation.Changed is { } changed)
            {
                if (await StoreAsync(repository, tag, changed.Manifest) is { } refused) return refused;
                _logger.TagMoved(repository.LocalName, tag, digest.ToString(), changed.Digest.ToString());
                upstream.Confirm(repository.LocalName, tag, now);
                return await Served(CacheOutcome.Miss, repository, tag);
            }
            upstream.Confirm(repository.LocalName, tag, now);
            return await Served(CacheOutcome.Revalidated, repository, tag);
        }
        catch (Exception e) when (IsUpstreamFailure(e))
        {
            if (heldDigest is not null && WithinMaxStale(upstream, repository, tag, held))
            {
                var now = _time.GetUtcNow();
                _logger.ServingStale(upstream.Host, repository.LocalName, tag, Describe(e), now - LastGood(upstream, repository, tag, held)!.Value);
                upstream.Failing(repository.LocalName, tag, now + (upstream.Options.Ttl < StaleBackOff ? upstream.Options.Ttl : StaleBackOff));
                return await Served(CacheOutcome.Stale, repository, tag);
            }
            return Failed(repository, tag, e);
        }
    }

    /// <summary>How long a stale copy is served without asking a failing upstream again (or the ttl, if shorter).</summary>
    private static readonly TimeSpan StaleBackOff = TimeSpan.FromSeconds(30);

    private static DateTimeOffset? LastGood(Upstream upstream, CachedRepository repository, string tag, Registry.Results.Result<Registry.Operations.ManifestRead> held) =>
        upstream.ConfirmedAt(repository.LocalName, tag) ?? (held.IsSuccess ? held.Value!.LastModified : null);

    private bool WithinMaxStale(Upstream upstream, CachedRepository repository, string tag, Registry.Results.Result<Registry.Operations.ManifestRead> held) =>
        LastGood(upstream, repository, tag, held) is { } at && _time.GetUtcNow() - at <= upstream.Options.MaxStale;

    /// <summary>For an upstream that ignores If-None-Match: a HEAD, and the body only when the digest moved.</summary>
    private static async Task<Client.ManifestRevalidation?> CompareByHeadAsync(Client.RepositoryClient remote, string tag, Digest held,
        CancellationToken cancellationToken)
    {
        var head = await remote.HeadManifestAsync(tag, cancellationToken);
        if (head is null) return null;
        if (head.Digest == held.ToString()) return new Client.ManifestRevalidation(null);
        var fetched = await remote.TryGetManifestAsync(tag, cancellationToken);
        return fetched is null ? null : new Client.ManifestRevalidation(fetched.Digest == held ? null : fetched);
    }

    private async Task<RegistryError?> FetchByDigestAsync(CachedRepository repository, Digest digest)
    {
        try
        {
            using var timeout = new CancellationTokenSource(repository.Upstream.Options.Timeout);
            // The client checks the bytes against the digest asked for.
            var fetched = await repository.Upstream.Client.Repository(repository.RemoteName).TryGetManifestAsync(digest.ToString(), timeout.Token);
            if (fetched is null) return null;
            return await StoreAsync(repository, null, fetched.Manifest) ?? await Served(CacheOutcome.Miss, repository, digest.ToString());
        }
        catch (Exception e) when (IsUpstreamFailure(e))
        {
            return Failed(repository, digest.ToString(), e);
        }
    }

    private async Task<RegistryError?> FetchBlobAsync(CachedRepository repository, Digest digest, IFirstClientSink? firstClient)
    {
        var uploads = _registry.Uploads;
        var started = await uploads.StartAsync(repository.LocalName, digest.Algorithm.Name);
        if (!started.IsSuccess) return started.Error;
        var id = started.Value!.Session.Id;
        var stored = false;
        try
        {
            var remote = repository.Upstream.Client.Repository(repository.RemoteName);
            if (await remote.GetBlobSizeAsync(digest) is not { } size) return null; // the local read answers BLOB_UNKNOWN
            // No overall timeout: a large layer takes as long as it takes; a stalled upstream fails the read itself.
            FirstClientCopyingStream? copying = null;
            await using (var content = await remote.OpenBlobAsync(digest, size))
            {
                Stream source = content;
                if (firstClient is not null && await TryStartAsync(firstClient, digest, size)) source = copying = new FirstClientCopyingStream(content, firstClient);
                var appended = await uploads.AppendAsync(repository.LocalName, id, source, null, null, CancellationToken.None);
                if (!appended.IsSuccess) return appended.Error;
            }
            // The registry hashes what it stored: bytes that do not match the digest never become part of the cache.
            var completed = await uploads.CompleteAsync(repository.LocalName, id, digest.ToString(), null);
            if (!completed.IsSuccess)
            {
                return completed.Error!.Code == ErrorCode.DigestInvalid
                    ? Failed(repository, digest.ToString(), new DigestMismatchException(digest.ToString(), "other content", "blob from upstream"))
                    : completed.Error;
            }
            stored = true;
            // Verified and linked: now the first client may have its last bytes.
            if (copying is not null)
            {
                await copying.ReleaseHeldAsync();
                await copying.DisposeAsync();
            }
            return await Served(CacheOutcome.Miss, repository, digest.ToString());
        }
        catch (Exception e) when (IsUpstreamFailure(e))
        {
            return Failed(repository, digest.ToString(), e);
        }
        finally
        {
            if (!stored) await uploads.CancelAsync(repository.LocalName, id);
        }
    }

    private static async Task<bool> TryStartAsync(IFirstClientSink client, Digest digest, long size)
    {
        try
        {
            await client.StartAsync(digest, size);
            return true;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            return false; // the client left before the fetch began; the cache fetches for the others all the same
        }
    }

    private async Task<RegistryError?> StoreAsync(CachedRepository repository, string? tag, Client.Manifest manifest)
    {
        var stored = await _registry.Manifests.StoreFetchedAsync(repository.LocalName, tag, manifest.Digest, manifest.Bytes, manifest.MediaType,
            Actor(repository.Upstream));
        return stored.IsSuccess ? null : stored.Error;
    }

    private RegistryError Failed(CachedRepository repository, string reference, Exception e)
    {
        var why = Describe(e);
        CacheMetrics.UpstreamFailed();
        _logger.UpstreamFailed(repository.Upstream.Host, repository.LocalName, reference, why);
        return RegistryError.UpstreamUnavailable(
            $"the upstream {repository.Upstream.Host} of this pull-through cache failed for {repository.RemoteName}:{reference} ({why}) and the cache holds no copy it may serve");
    }

    private Task<RegistryError?> Served(CacheOutcome outcome, CachedRepository repository, string reference)
    {
        CacheMetrics.Served(outcome);
        if (outcome == CacheOutcome.Hit) _logger.Hit(repository.LocalName, reference, repository.Upstream.Host);
        else _logger.Served(outcome, repository.LocalName, reference, repository.Upstream.Host);
        return Task.FromResult<RegistryError?>(null);
    }

    /// <summary>What counts as upstream failing (rather than a bug here): network, timeouts, 429 and 5xx, and content that does not match its digest.</summary>
    private static bool IsUpstreamFailure(Exception e) => e is HttpRequestException or OperationCanceledException or IOException
        // A docker config's credential helper that fails or hangs is an upstream we cannot reach, not a crash.
        or DigestMismatchException or Berth.Client.Auth.CredentialHelperException
        or RegistryRequestException { StatusCode: HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden };

    private static string Describe(Exception e) => e switch
    {
        OperationCanceledException => "timed out",
        RegistryRequestException r => $"{(int)r.StatusCode} {r.StatusCode}",
        DigestMismatchException => "content did not match its digest",
        _ => e.Message,
    };

    private static string Actor(Upstream upstream) => $"cache:{upstream.Host}";

    public void Dispose()
    {
        foreach (var upstream in _upstreams) upstream.Dispose();
    }
}
