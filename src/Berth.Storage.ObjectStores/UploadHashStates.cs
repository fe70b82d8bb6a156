using System.Collections.Concurrent;
using Berth.Oci.Digests;

namespace Berth.Storage.ObjectStores;

/// <summary>
/// Running upload hashes held in this process. .NET cannot export a SHA-256 state, so a replica keeps
/// the hash of the bytes it has seen in memory; clients send one session's chunks over one connection,
/// so behind a load balancer the next chunk usually arrives here again. Each state remembers the
/// upload version it describes; the store decides whether that version is a prefix of the current
/// one (and reads only the bytes after it) or must start over.
/// </summary>
internal sealed class UploadHashStates
{
    private const int MaxEntries = 4096;
    private static readonly TimeSpan IdleLimit = TimeSpan.FromMinutes(30);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Takes the state for the upload, so that no other request in this process extends it meanwhile.</summary>
    public (DigestHasher Hasher, string Version)? Take(string uploadId, DigestAlgorithm algorithm)
    {
        if (!_entries.TryRemove(uploadId, out var entry)) return null;
        if (entry.Hasher.Algorithm == algorithm) return (entry.Hasher, entry.Version);
        entry.Hasher.Dispose();
        return null;
    }

    /// <summary>Keeps the state of the upload at <paramref name="version"/> for the next request.</summary>
    public void Keep(string uploadId, DigestHasher hasher, string version)
    {
        var fresh = new Entry(hasher, version, DateTime.UtcNow);
        _entries.AddOrUpdate(uploadId, fresh, (_, old) =>
        {
            old.Hasher.Dispose();
            return fresh;
        });
        if (_entries.Count > MaxEntries) EvictIdle();
    }

    public void Forget(string uploadId)
    {
        if (_entries.TryRemove(uploadId, out var entry)) entry.Hasher.Dispose();
    }

    /// <summary>Abandoned uploads are never completed here; their states go after a while.</summary>
    private void EvictIdle()
    {
        var limit = DateTime.UtcNow - IdleLimit;
        foreach (var (id, entry) in _entries)
        {
            if (entry.UsedAt < limit && _entries.TryRemove(new KeyValuePair<string, Entry>(id, entry))) entry.Hasher.Dispose();
        }
    }

    private sealed record Entry(DigestHasher Hasher, string Version, DateTime UsedAt);
}
