using System.Text.Json.Nodes;
using Berth.Client.Conditional;
using Berth.Oci.Digests;
using Berth.Oci.Manifests;

namespace Berth.Client.Content;

/// <summary>
/// Adds and removes platform manifests in a multi-arch index under a tag, as several builders do at
/// once (conditional-requests §4 case 2): each builder changes only its own platform's entry, and the
/// conditional read-modify-write makes sure no builder's entry is lost to another's write.
/// </summary>
public static class MultiPlatformIndex
{
    /// <summary>
    /// Puts <paramref name="manifestDigest"/> (already in the repository) into the index at
    /// <paramref name="indexTag"/>, replacing any entry for the same platform; creates the index when
    /// the tag does not exist. The platform comes from the manifest's config when not given.
    /// </summary>
    public static async Task<ManifestUpdateResult> AddAsync(this RepositoryClient repository, string indexTag, Digest manifestDigest,
        Platform? platform = null, UnprotectedWritePolicy whenUnprotected = UnprotectedWritePolicy.Refuse,
        CancellationToken cancellationToken = default)
    {
        var child = (await repository.GetManifestAsync(manifestDigest.ToString(), cancellationToken).ConfigureAwait(false)).Manifest;
        if (child.IsIndex) throw new ArgumentException($"{manifestDigest} is itself an index; only image manifests can be added per platform");
        platform ??= await PlatformOfAsync(repository, child, cancellationToken).ConfigureAwait(false)
            ?? throw new ArgumentException($"{manifestDigest} has no os/architecture in its config; give the platform explicitly");
        var entry = new JsonObject
        {
            ["mediaType"] = child.MediaType,
            ["digest"] = child.Digest.ToString(),
            ["size"] = child.Bytes.Length,
            ["platform"] = platform.ToJson(),
        };
        return await repository.UpdateTagAsync(indexTag, current => WithEntry(current, entry, platform), whenUnprotected, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Removes the entry for <paramref name="platform"/> from the index at <paramref name="indexTag"/>.</summary>
    public static Task<ManifestUpdateResult> RemoveAsync(this RepositoryClient repository, string indexTag, Platform platform,
        UnprotectedWritePolicy whenUnprotected = UnprotectedWritePolicy.Refuse, CancellationToken cancellationToken = default) =>
        repository.UpdateTagAsync(indexTag, current => WithoutPlatform(current, platform), whenUnprotected, cancellationToken);

    /// <summary>The new index with <paramref name="entry"/> for its platform, or null when it is already exactly there.</summary>
    public static Manifest? WithEntry(FetchedManifest? current, JsonObject entry, Platform platform)
    {
        var index = current is null ? NewIndex() : IndexOf(current);
        var manifests = (JsonArray)index["manifests"]!;
        var digest = entry["digest"]!.GetValue<string>();
        var samePlatform = manifests.OfType<JsonObject>().Where(m => Platform.FromJson(m["platform"]) == platform).ToList();
        if (samePlatform.Count == 1 && samePlatform[0]["digest"]?.GetValue<string>() == digest) return null;
        foreach (var stale in samePlatform) manifests.Remove(stale);
        manifests.Add(entry.DeepClone());
        return Manifest.FromJson(index);
    }

    /// <summary>The index without <paramref name="platform"/>, or null when it has no such entry.</summary>
    public static Manifest? WithoutPlatform(FetchedManifest? current, Platform platform)
    {
        if (current is null) return null;
        var index = IndexOf(current);
        var manifests = (JsonArray)index["manifests"]!;
        var matching = manifests.OfType<JsonObject>().Where(m => Platform.FromJson(m["platform"]) == platform).ToList();
        if (matching.Count == 0) return null;
        foreach (var entry in matching) manifests.Remove(entry);
        return Manifest.FromJson(index);
    }

    /// <summary>The platforms listed in an index, in order.</summary>
    public static IReadOnlyList<Platform> PlatformsOf(Manifest index) =>
        [.. index.ChildManifests().Select(m => Platform.FromJson(m["platform"])).OfType<Platform>()];

    private static JsonObject NewIndex() => new()
    {
        ["schemaVersion"] = 2,
        ["mediaType"] = MediaTypes.OciIndex,
        ["manifests"] = new JsonArray(),
    };

    private static JsonObject IndexOf(FetchedManifest current)
    {
        if (!current.Manifest.IsIndex)
        {
            throw new InvalidOperationException($"the tag holds a {current.Manifest.MediaType}, not an index; refusing to replace it");
        }
        var index = current.Manifest.ToJson();
        if (index["manifests"] is not JsonArray) index["manifests"] = new JsonArray();
        // Keep the media type the index already has (OCI or Docker list), and every field we do not touch.
        index["mediaType"] ??= current.Manifest.MediaType;
        return index;
    }

    private static async Task<Platform?> PlatformOfAsync(RepositoryClient repository, Manifest child, CancellationToken cancellationToken)
    {
        var config = child.ToJson()["config"] as JsonObject;
        if (config?["digest"]?.GetValue<string>() is not { } configDigest || !Digest.TryParse(configDigest, out var digest)) return null;
        var size = config["size"]?.GetValue<long>() ?? 0;
        if (size > 4 * 1024 * 1024) return null;
        using var buffer = new MemoryStream();
        await repository.PullBlobAsync(digest, buffer, size, cancellationToken: cancellationToken).ConfigureAwait(false);
        try
        {
            return Platform.FromJson(JsonNode.Parse(buffer.ToArray()));
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
