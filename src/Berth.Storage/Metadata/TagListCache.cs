using System.Collections.Concurrent;

namespace Berth.Storage.Metadata;

/// <summary>
/// Every tag of recently listed repositories, sorted, labelled with the <see cref="ChangeVersion"/> it
/// was read at. A page is then a binary search instead of a query, which is what makes paging through
/// a repository with tens of thousands of tags cheap.
/// </summary>
internal sealed class TagListCache
{
    private const int MaxRepositories = 256;

    private readonly ConcurrentDictionary<string, (long Version, string[] Tags)> _entries = new(StringComparer.Ordinal);

    public string[]? Get(string repository, long version) =>
        _entries.TryGetValue(repository, out var entry) && entry.Version == version ? entry.Tags : null;

    public void Put(string repository, long version, string[] tags)
    {
        if (_entries.Count >= MaxRepositories) _entries.Clear();
        _entries[repository] = (version, tags);
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
}
