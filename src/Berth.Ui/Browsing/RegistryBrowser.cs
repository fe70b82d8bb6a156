using System.Collections.Concurrent;
using System.Text.Json;
using Berth.Oci.Digests;
using Berth.Oci.Manifests;
using Berth.Oci.Preconditions;
using Berth.Registry;
using Berth.Storage.Metadata;

namespace Berth.Ui.Browsing;

/// <summary>
/// What the pages show, read through the registry's own operations (the ones /v2/ calls), never the stores directly.
/// Who may see what is decided by the caller of each method (<see cref="Access.Viewer"/>); this class only reads.
/// </summary>
public sealed class RegistryBrowser
{
    /// <summary>Config blobs larger than this are not parsed for display (a config is a few KiB).</summary>
    private const int MaxConfigBytes = 1024 * 1024;
    private const int SummaryCacheCapacity = 20_000;
    private const int ReferenceCacheCapacity = 200_000;

    private readonly BerthRegistry _registry;

    // Keyed by digest: a summary is derived from content-addressed bytes only, so it never goes stale.
    private readonly ConcurrentDictionary<Digest, ManifestSummary> _summaries = new();

    // Keyed by digest too: the blobs a manifest refers to are part of its bytes.
    private readonly ConcurrentDictionary<Digest, BlobReferences> _references = new();

    private sealed record BlobReferences(long ManifestSize, IReadOnlyList<(Digest Digest, long Size)> Blobs);

    public RegistryBrowser(BerthRegistry registry) => _registry = registry;

    /// <summary>
    /// Repositories after <paramref name="after"/> whose name contains <paramref name="search"/> and that
    /// <paramref name="visible"/> accepts, as the catalog pages them (filling a page from further down the list).
    /// </summary>
    public RepositoryListing Repositories(string? search, string? after, int pageSize, Func<string, bool> visible)
    {
        var term = search?.Trim().ToLowerInvariant();
        Func<string, bool> filter = string.IsNullOrEmpty(term)
            ? visible
            : name => name.Contains(term, StringComparison.Ordinal) && visible(name);
        var page = _registry.Listings.Catalog(pageSize.ToString(System.Globalization.CultureInfo.InvariantCulture), after, filter);
        if (!page.IsSuccess) return new RepositoryListing([], null);
        var rows = page.Value.Names.Select(name => new RepositoryRow(name, AllTags(name)?.Count ?? 0, StorageUsed(name))).ToList();
        return new RepositoryListing(rows, page.Value.NextLast);
    }

    /// <summary>
    /// Bytes the repository's manifests take with the configs and layers they refer to, each blob counted once however
    /// many manifests share it (a blob shared with another repository counts in both). Tagged or not: an untagged
    /// manifest is stored until it is deleted or collected. Sizes are the descriptors' (checked against the blobs at
    /// push), read from the metadata, so no blob store is asked.
    /// </summary>
    public long StorageUsed(string repository)
    {
        var counted = new HashSet<Digest>();
        long total = 0;
        foreach (var digest in _registry.Export.ManifestDigests(repository))
        {
            if (References(repository, digest) is not { } references) continue;
            total += references.ManifestSize;
            foreach (var (blob, size) in references.Blobs)
            {
                if (counted.Add(blob)) total += size;
            }
        }
        return total;
    }

    private BlobReferences? References(string repository, Digest digest)
    {
        if (_references.TryGetValue(digest, out var known)) return known;
        var read = _registry.Manifests.Read(repository, digest.ToString(), RequestPreconditions.None);
        // Deleted since it was listed: it no longer takes space.
        if (!read.IsSuccess) return null;
        var content = read.Value.Manifest.Content;
        var blobs = new List<(Digest, long)>();
        using (var document = Parse(content))
        {
            if (document is { RootElement.ValueKind: JsonValueKind.Object } parsed)
            {
                var root = parsed.RootElement;
                if (root.TryGetProperty("config", out var config)) AddBlob(blobs, config);
                if (root.TryGetProperty("layers", out var layers) && layers.ValueKind == JsonValueKind.Array)
                {
                    foreach (var layer in layers.EnumerateArray()) AddBlob(blobs, layer);
                }
            }
        }
        var references = new BlobReferences(content.Length, blobs);
        if (_references.Count >= ReferenceCacheCapacity) _references.Clear();
        _references[digest] = references;
        return references;
    }

    private static void AddBlob(List<(Digest, long)> blobs, JsonElement descriptor)
    {
        if (descriptor.ValueKind == JsonValueKind.Object && Digest.TryParse(Text(descriptor, "digest") ?? "", out var digest))
        {
            blobs.Add((digest, Size(descriptor)));
        }
    }

    /// <summary>Every tag of a repository (the tags list the API serves, cached until anything changes); null if unknown.</summary>
    public IReadOnlyList<string>? AllTags(string repository)
    {
        var tags = _registry.Listings.Tags(repository, null, null);
        return tags.IsSuccess ? tags.Value.Names : null;
    }

    /// <param name="withActors">Whether to name who last moved each tag (only for those who may read tag history).</param>
    public TagListing? Tags(string repository, string? search, int page, int pageSize, Func<string, bool> withActors)
    {
        if (AllTags(repository) is not { } all) return null;
        var term = search?.Trim();
        IReadOnlyList<string> matching = string.IsNullOrEmpty(term)
            ? all
            : all.Where(tag => tag.Contains(term, StringComparison.OrdinalIgnoreCase)).ToList();
        var pageCount = Math.Max(1, (matching.Count + pageSize - 1) / pageSize);
        page = Math.Clamp(page, 1, pageCount);
        var rows = new List<TagRow>();
        foreach (var tag in matching.Skip((page - 1) * pageSize).Take(pageSize))
        {
            var read = _registry.Manifests.Read(repository, tag, RequestPreconditions.None);
            // Deleted between the listing and this read: the next page view will not list it either.
            if (!read.IsSuccess) continue;
            var actor = withActors(tag) ? _registry.Manifests.History(repository, tag, 1).FirstOrDefault()?.Actor : null;
            rows.Add(new TagRow(tag, Summarize(repository, read.Value.Manifest), read.Value.LastModified, actor));
        }
        return new TagListing(repository, rows, all.Count, matching.Count, page, pageCount);
    }

    public async Task<ManifestDetails?> ManifestAsync(string repository, string reference, CancellationToken cancellationToken)
    {
        var read = _registry.Manifests.Read(repository, reference, RequestPreconditions.None);
        if (!read.IsSuccess) return null;
        var manifest = read.Value.Manifest;
        var summary = Summarize(repository, manifest);
        using var document = Parse(manifest.Content);
        var root = document?.RootElement;
        var details = new ManifestDetails
        {
            Repository = repository,
            Reference = reference,
            Summary = summary,
            Content = manifest.Content,
            TagMovedAt = read.Value.ByTag ? read.Value.LastModified : null,
            Annotations = root is { } r ? StringMap(r, "annotations") : new Dictionary<string, string>(),
            Subject = root is { } s && s.TryGetProperty("subject", out var subject) ? Text(subject, "digest") : null,
            Referrers = Referrers(repository, manifest.Digest, depth: 0),
        };
        if (root is not { } element) return details;
        if (summary.Kind == ManifestKind.Index)
        {
            return details with { Children = Children(element) };
        }
        var layers = element.TryGetProperty("layers", out var layerArray) && layerArray.ValueKind == JsonValueKind.Array
            ? layerArray.EnumerateArray().Select(layer => new LayerRow(Text(layer, "mediaType") ?? "", Text(layer, "digest") ?? "",
                Size(layer), StringMap(layer, "annotations"))).ToList()
            : [];
        details = details with { Layers = layers };
        if (!element.TryGetProperty("config", out var config)) return details;
        details = details with { ConfigMediaType = Text(config, "mediaType"), ConfigDigest = Text(config, "digest"), ConfigSize = Size(config) };
        if (details.ConfigMediaType is MediaTypes.OciConfig or MediaTypes.DockerConfig && details.ConfigDigest is { } configDigest)
        {
            details = details with { Config = await ReadConfigAsync(repository, configDigest, cancellationToken) };
        }
        return details;
    }

    /// <summary>The tag's moves, newest first, and where it points now (null once deleted).</summary>
    public TagHistory History(string repository, string tag, int limit)
    {
        var moves = _registry.Manifests.History(repository, tag, limit);
        var current = _registry.Manifests.Read(repository, tag, RequestPreconditions.None);
        return new TagHistory(repository, tag, current.IsSuccess ? current.Value.Manifest.Digest : null, moves);
    }

    /// <summary>Where a tag points now; null when it does not exist.</summary>
    public Digest? Resolve(string repository, string tag)
    {
        var read = _registry.Manifests.Read(repository, tag, RequestPreconditions.None);
        return read.IsSuccess ? read.Value.Manifest.Digest : null;
    }

    public ManifestSummary? Summary(string repository, string reference)
    {
        var read = _registry.Manifests.Read(repository, reference, RequestPreconditions.None);
        return read.IsSuccess ? Summarize(repository, read.Value.Manifest) : null;
    }

    private IReadOnlyList<ReferrerGroup> Referrers(string repository, Digest subject, int depth)
    {
        // Signatures of SBOMs of images are three levels; deeper chains are listed on the referrer's own page.
        if (depth > 2) return [];
        var page = _registry.Listings.Referrers(repository, subject.ToString(), null, null, RequestPreconditions.None);
        if (!page.IsSuccess) return [];
        using var document = Parse(page.Value.Body);
        if (document is null || !document.RootElement.TryGetProperty("manifests", out var manifests)) return [];
        var items = new List<Referrer>();
        foreach (var descriptor in manifests.EnumerateArray())
        {
            var digestText = Text(descriptor, "digest") ?? "";
            var nested = Digest.TryParse(digestText, out var digest) ? Referrers(repository, digest, depth + 1) : [];
            items.Add(new Referrer(digestText, Text(descriptor, "mediaType") ?? "", Size(descriptor),
                Text(descriptor, "artifactType") ?? "(no artifact type)", StringMap(descriptor, "annotations"), nested));
        }
        return items.GroupBy(item => item.ArtifactType, StringComparer.Ordinal)
            .OrderBy(group => group.Key, StringComparer.Ordinal)
            .Select(group => new ReferrerGroup(group.Key, group.ToList()))
            .ToList();
    }

    private ManifestSummary Summarize(string repository, StoredManifest manifest)
    {
        if (_summaries.TryGetValue(manifest.Digest, out var known)) return known;
        var summary = Compute(repository, manifest);
        // A full cache is dropped whole: simpler than LRU, and refilled from one page's worth of reads.
        if (_summaries.Count >= SummaryCacheCapacity) _summaries.Clear();
        _summaries[manifest.Digest] = summary;
        return summary;
    }

    private ManifestSummary Compute(string repository, StoredManifest manifest)
    {
        using var document = Parse(manifest.Content);
        if (document is null) return new ManifestSummary(manifest.Digest, manifest.MediaType, ManifestKind.Image, manifest.Content.Length, [], null);
        var root = document.RootElement;
        var artifactType = Text(root, "artifactType");
        if (root.TryGetProperty("manifests", out var children) && children.ValueKind == JsonValueKind.Array)
        {
            var platforms = new List<string>();
            long size = manifest.Content.Length;
            foreach (var child in children.EnumerateArray())
            {
                if (Platform(child) is { } platform && !platform.StartsWith("unknown", StringComparison.Ordinal)) platforms.Add(platform);
                size += Size(child);
                // The content a child stands for: its layers, when the child is an image stored here.
                if (Digest.TryParse(Text(child, "digest") ?? "", out var childDigest)
                    && _registry.Manifests.Read(repository, childDigest.ToString(), RequestPreconditions.None) is { IsSuccess: true } read
                    && Parse(read.Value.Manifest.Content) is { } childDocument)
                {
                    using (childDocument) size += ContentSize(childDocument.RootElement);
                }
            }
            return new ManifestSummary(manifest.Digest, manifest.MediaType, ManifestKind.Index, size, platforms, artifactType);
        }
        var configType = root.TryGetProperty("config", out var config) ? Text(config, "mediaType") : null;
        var kind = artifactType is not null || configType is not (MediaTypes.OciConfig or MediaTypes.DockerConfig) ? ManifestKind.Artifact : ManifestKind.Image;
        IReadOnlyList<string> imagePlatforms = [];
        if (kind == ManifestKind.Image && Text(config, "digest") is { } configDigest
            // Off the renderer's synchronization context: blocking on it there would deadlock. Summaries are cached
            // by digest, so this read happens once per image, not once per page view.
            && Task.Run(() => ReadConfigAsync(repository, configDigest, CancellationToken.None)).GetAwaiter().GetResult() is { Platform: { } platformText })
        {
            imagePlatforms = [platformText];
        }
        return new ManifestSummary(manifest.Digest, manifest.MediaType, kind, manifest.Content.Length + ContentSize(root), imagePlatforms,
            artifactType ?? (kind == ManifestKind.Artifact ? configType : null));
    }

    /// <summary>The config and layers an image manifest references, in bytes as stored (compressed).</summary>
    private static long ContentSize(JsonElement manifest)
    {
        long size = 0;
        if (manifest.TryGetProperty("config", out var config)) size += Size(config);
        if (manifest.TryGetProperty("layers", out var layers) && layers.ValueKind == JsonValueKind.Array)
        {
            foreach (var layer in layers.EnumerateArray()) size += Size(layer);
        }
        return size;
    }

    private static IReadOnlyList<ChildManifest> Children(JsonElement index) =>
        index.TryGetProperty("manifests", out var manifests) && manifests.ValueKind == JsonValueKind.Array
            ? manifests.EnumerateArray().Select(child => new ChildManifest(Text(child, "mediaType") ?? "", Text(child, "digest") ?? "",
                Size(child), Platform(child), Text(child, "artifactType"))).ToList()
            : [];

    private async Task<ImageConfig?> ReadConfigAsync(string repository, string digest, CancellationToken cancellationToken)
    {
        var read = await _registry.Blobs.ReadAsync(repository, digest, RequestPreconditions.None, cancellationToken);
        if (!read.IsSuccess || read.Value.Blob.Length > MaxConfigBytes) return null;
        byte[] bytes;
        await using (var stream = await _registry.Blobs.OpenAsync(read.Value, 0, read.Value.Blob.Length, cancellationToken))
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken);
            bytes = buffer.ToArray();
        }
        using var document = Parse(bytes);
        if (document is null || document.RootElement.ValueKind != JsonValueKind.Object) return null;
        var root = document.RootElement;
        var os = Text(root, "os");
        var architecture = Text(root, "architecture");
        var variant = Text(root, "variant");
        var platform = os is null && architecture is null ? null : $"{os ?? "?"}/{architecture ?? "?"}{(variant is null ? "" : "/" + variant)}";
        var inner = root.TryGetProperty("config", out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        var ports = inner.ValueKind == JsonValueKind.Object && inner.TryGetProperty("ExposedPorts", out var exposed) && exposed.ValueKind == JsonValueKind.Object
            ? exposed.EnumerateObject().Select(p => p.Name).ToList()
            : [];
        return new ImageConfig(Text(root, "created"), platform,
            inner.ValueKind == JsonValueKind.Object ? Strings(inner, "Entrypoint") : [],
            inner.ValueKind == JsonValueKind.Object ? Strings(inner, "Cmd") : [],
            inner.ValueKind == JsonValueKind.Object ? Text(inner, "WorkingDir") : null,
            inner.ValueKind == JsonValueKind.Object ? Text(inner, "User") : null,
            inner.ValueKind == JsonValueKind.Object ? StringMap(inner, "Labels") : new Dictionary<string, string>(),
            ports);
    }

    private static string? Platform(JsonElement descriptor)
    {
        if (!descriptor.TryGetProperty("platform", out var platform) || platform.ValueKind != JsonValueKind.Object) return null;
        var variant = Text(platform, "variant");
        return $"{Text(platform, "os") ?? "?"}/{Text(platform, "architecture") ?? "?"}{(variant is null ? "" : "/" + variant)}";
    }

    private static JsonDocument? Parse(byte[] content)
    {
        try
        {
            return JsonDocument.Parse(content);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static long Size(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("size", out var size) && size.TryGetInt64(out var bytes) ? bytes : 0;

    private static IReadOnlyList<string> Strings(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToList()
            : [];

    private static IReadOnlyDictionary<string, string> StringMap(JsonElement element, string property)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.Object)
        {
            foreach (var entry in value.EnumerateObject())
            {
                if (entry.Value.ValueKind == JsonValueKind.String) map[entry.Name] = entry.Value.GetString()!;
            }
        }
        return map;
    }
}
