using System.Collections.Concurrent;
using System.Text.Json;
using Berth.Oci.Digests;
using Berth.Oci.Preconditions;
using Berth.Registry;
using Microsoft.Extensions.Logging;

namespace Berth.Cache;

/// <summary>
/// Eviction of cached content: a manifest under an upstream's prefix that nobody pulled for <c>evictAfter</c>,
/// or the least recently pulled ones while the blobs they reference exceed <c>maxBytes</c>, is deleted from its
/// cached repository (with its tags). The blobs then leave with garbage collection, after its grace period,
/// unless another repository links them: a local push of the same layer is never evicted with the cache.
/// When each manifest was last pulled is kept in memory; one not pulled since the process started counts as
/// pulled at the start, so a restart can only delay an eviction, never bring one forward.
/// </summary>
public sealed class CacheEviction(BerthRegistry registry, TimeProvider time, ILogger logger)
{
    // Keyed by repository and reference as pulled (tag or digest), so recording a pull costs no read.
    private readonly ConcurrentDictionary<(string Repository, string Reference), DateTimeOffset> _lastPulled = new();
    private readonly DateTimeOffset _startedAt = time.GetUtcNow();

    /// <summary>Records a pull of the manifest <paramref name="reference"/> (a tag or digest) of a cached repository.</summary>
    internal void Pulled(string repository, string reference) => _lastPulled[(repository, reference)] = time.GetUtcNow();

    /// <summary>Evicts what the upstream's rules say must go; returns the manifests deleted.</summary>
    public async Task<IReadOnlyList<string>> EvictAsync(Upstream upstream, CancellationToken cancellationToken = default)
    {
        var options = upstream.Options;
        if (options.EvictAfter is null && options.MaxBytes is null) return [];
        var now = time.GetUtcNow();
        var cached = new List<CachedManifest>();
        foreach (var repository in CachedRepositories(upstream))
        {
            var tagsOf = registry.Export.Tags(repository).ToLookup(t => t.Digest, t => t.Tag);
            foreach (var digest in registry.Export.ManifestDigests(repository))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = registry.Manifests.Read(repository, digest.ToString(), RequestPreconditions.None);
                if (!read.IsSuccess) continue;
                // Pulled by digest or through any of its tags, whichever was last.
                var pulled = tagsOf[digest].Append(digest.ToString())
                    .Select(reference => _lastPulled.TryGetValue((repository, reference), out var at) ? at : _startedAt).Max();
                cached.Add(new CachedManifest(repository, digest, pulled, ReferencedBlobs(read.Value!.Manifest.Content)));
            }
        }

        var evicted = new List<CachedManifest>();
        if (options.EvictAfter is { } unusedFor) evicted.AddRange(cached.Where(m => now - m.LastPulled >= unusedFor));
        if (options.MaxBytes is { } cap)
        {
            var kept = cached.Except(evicted).OrderBy(m => m.LastPulled).ToList();
            while (kept.Count > 0 && SizeOf(kept) > cap)
            {
                evicted.Add(kept[0]);
                kept.RemoveAt(0);
            }
        }
        var deleted = new List<string>();
        foreach (var manifest in evicted)
        {
            var outcome = await registry.Manifests.DeleteAsync(manifest.Repository, manifest.Digest.ToString(), RequestPreconditions.None, $"cache:{upstream.Host}");
            if (!outcome.IsSuccess) continue;
            _lastPulled.TryRemove((manifest.Repository, manifest.Digest.ToString()), out _);
            upstream.ForgetRepository(manifest.Repository);
            deleted.Add($"{manifest.Repository}@{manifest.Digest}");
            logger.Evicted(manifest.Repository, manifest.Digest.ToString(), now - manifest.LastPulled);
        }
        return deleted;
    }

    private IEnumerable<string> CachedRepositories(Upstream upstream)
    {
        string? last = null;
        while (true)
        {
            var page = registry.Listings.Catalog("1000", last, name => upstream.RemoteNameOf(name) is not null);
            if (!page.IsSuccess) yield break;
            foreach (var name in page.Value!.Names) yield return name;
            if (page.Value.NextLast is null) yield break;
            last = page.Value.NextLast;
        }
    }

    /// <summary>The distinct bytes the manifests reference: a layer shared by several counts once.</summary>
    private static long SizeOf(IEnumerable<CachedManifest> manifests) =>
        manifests.SelectMany(m => m.Blobs).DistinctBy(b => b.Digest).Sum(b => b.Size);

    /// <summary>The config and layers an image manifest references, with the sizes its descriptors state.</summary>
    private static IReadOnlyList<(string Digest, long Size)> ReferencedBlobs(byte[] manifest)
    {
        using var document = JsonDocument.Parse(manifest);
        var root = document.RootElement;
        var blobs = new List<(string, long)>();
        if (root.TryGetProperty("config", out var config)) Add(config);
        if (root.TryGetProperty("layers", out var layers) && layers.ValueKind == JsonValueKind.Array)
        {
            foreach (var layer in layers.EnumerateArray()) Add(layer);
        }
        return blobs;

        void Add(JsonElement descriptor)
        {
            if (descriptor.ValueKind == JsonValueKind.Object && descriptor.TryGetProperty("digest", out var digest) && digest.GetString() is { } text
                && descriptor.TryGetProperty("size", out var size) && size.TryGetInt64(out var bytes))
            {
                blobs.Add((text, bytes));
            }
        }
    }

    private sealed record CachedManifest(string Repository, Digest Digest, DateTimeOffset LastPulled, IReadOnlyList<(string Digest, long Size)> Blobs);
}
