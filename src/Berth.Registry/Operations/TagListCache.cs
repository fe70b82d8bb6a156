using System.Collections.Concurrent;
using Berth.Storage.Metadata;

namespace Berth.Registry.Operations;

/// <summary>
/// The one cache of tag lists: every tag of recently listed repositories, sorted, labelled with the metadata's
/// change version it was read at, and the whole-list document once rendered. A page is then a binary search
/// instead of a query, and the common "all tags" request is a ready document; any write anywhere bumps the
/// version, so nothing stale is served. Every metadata store gets it without implementing a cache of its own.
/// </summary>
internal sealed class TagListCache
{
    private const int MaxRepositories = 256;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public Entry? Get(string repository, long version) =>
        _entries.TryGetValue(repository, out var entry) && entry.Version == version ? entry : null;

    public Entry Put(string repository, long version, string[] tags)
    {
        if (_entries.Count >= MaxRepositories) _entries.Clear();
        var entry = new Entry(version, tags);
        _entries[repository] = entry;
        return entry;
    }

    /// <summary>The tags after <paramref name="last"/> (ordinal order, as SQLite's BINARY collation), at most <paramref name="limit"/>.</summary>
    public static Page Slice(string[] tags, string? last, int limit)
    {
        var start = 0;
        if (!string.IsNullOrEmpty(last))
        {
            var found = Array.BinarySearch(tags, last, StringComparer.Ordinal);
            start = found >= 0 ? found + 1 : ~found;
        }
        var count = (int)Math.Min(limit, (long)tags.Length - start);
        return new Page(new ArraySegment<string>(tags, start, count), start + count < tags.Length);
    }

    internal sealed class Entry(long version, string[] tags)
    {
        public long Version { get; } = version;

        public string[] Tags { get; } = tags;

        /// <summary>The tags-list document of every tag, rendered on first request.</summary>
        public NameList? Whole { get; set; }
    }
}
