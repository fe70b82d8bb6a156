using System.Text.Json.Nodes;
using Berth.Client.Conditional;
using Berth.Oci.Digests;
using Berth.Oci.Errors;
using Berth.Oci.Manifests;

namespace Berth.Client;

/// <summary>
/// A manifest or index exactly as stored: its bytes are never re-serialised, because the digest is of
/// those bytes (image-spec descriptor.md "Digests").
/// </summary>
public sealed class Manifest
{
    private Manifest(byte[] bytes, string mediaType, Digest digest)
    {
        Bytes = bytes;
        MediaType = mediaType;
        Digest = digest;
    }

    public byte[] Bytes { get; }

    public string MediaType { get; }

    public Digest Digest { get; }

    public bool IsIndex => MediaTypes.IsIndex(MediaType);

    public Descriptor Descriptor => new() { MediaType = MediaType, Digest = Digest.ToString(), Size = Bytes.Length };

    /// <summary>From bytes and a media type; the digest is computed (sha256 unless told otherwise).</summary>
    public static Manifest FromBytes(byte[] bytes, string mediaType, DigestAlgorithm? algorithm = null) =>
        new(bytes, MediaTypes.Essence(mediaType), Digest.Compute(algorithm ?? DigestAlgorithm.Sha256, bytes));

    /// <summary>Serialises a JSON document once; the result is what gets pushed and digested.</summary>
    /// <summary>Compact, and without escaping '+' in media types (the default encoder writes \u002B, which tools show as noise).</summary>
    private static readonly System.Text.Json.JsonSerializerOptions Compact = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Manifest FromJson(JsonObject document)
    {
        var mediaType = document["mediaType"]?.GetValue<string>()
            ?? throw new ArgumentException("a manifest built here must state its mediaType", nameof(document));
        return FromBytes(System.Text.Encoding.UTF8.GetBytes(document.ToJsonString(Compact)), mediaType);
    }

    /// <summary>The JSON tree, for reading fields the parsed form does not keep (platforms, annotations).</summary>
    public JsonObject ToJson() =>
        JsonNode.Parse(Bytes) as JsonObject ?? throw new FormatException($"manifest {Digest} is not a JSON object");

    /// <summary>Validates with the same rules the registry applies (Berth.Oci.ManifestParser).</summary>
    public ParsedManifest Parse() =>
        ManifestParser.Parse(Bytes, MediaType, out var error) ?? throw new FormatException(error?.Message ?? "invalid manifest");

    /// <summary>Blobs and child manifests, in document order, with their descriptors.</summary>
    public IReadOnlyList<Descriptor> ReferencedBlobs()
    {
        var json = ToJson();
        var result = new List<Descriptor>();
        if (json["config"] is JsonObject config) result.Add(ToDescriptor(config));
        if (json["layers"] is JsonArray layers)
        {
            foreach (var layer in layers.OfType<JsonObject>())
            {
                var descriptor = ToDescriptor(layer);
                if (!MediaTypes.IsForeignLayer(descriptor.MediaType)) result.Add(descriptor);
            }
        }
        return result;
    }

    public IReadOnlyList<JsonObject> ChildManifests() =>
        ToJson()["manifests"] is JsonArray manifests ? [.. manifests.OfType<JsonObject>()] : [];

    internal static Descriptor ToDescriptor(JsonObject node) => new()
    {
        MediaType = node["mediaType"]?.GetValue<string>() ?? throw new FormatException("descriptor without mediaType"),
        Digest = node["digest"]?.GetValue<string>() ?? throw new FormatException("descriptor without digest"),
        Size = node["size"]?.GetValue<long>() ?? throw new FormatException("descriptor without size"),
        ArtifactType = node["artifactType"]?.GetValue<string>(),
        Annotations = node["annotations"] is JsonObject annotations
            ? new SortedDictionary<string, string>(annotations.ToDictionary(p => p.Key, p => p.Value?.GetValue<string>() ?? ""), StringComparer.Ordinal)
            : null,
    };

    internal static RegistryError? Validate(byte[] bytes, string mediaType)
    {
        ManifestParser.Parse(bytes, mediaType, out var error);
        return error;
    }
}

/// <summary>A manifest as fetched, with the validators the registry sent along.</summary>
public sealed record FetchedManifest(Manifest Manifest, string? EntityTag)
{
    public Digest Digest => Manifest.Digest;
}

/// <summary>The outcome of <see cref="RepositoryClient.RevalidateManifestAsync"/>: the new manifest, or null when the held one is current.</summary>
public sealed record ManifestRevalidation(FetchedManifest? Changed)
{
    public bool IsUnchanged => Changed is null;

    /// <summary>The registry sent the manifest's body although the condition held: it does not honour If-None-Match.</summary>
    public bool BodyTransferred { get; init; }
}

/// <summary>What a manifest PUT returned.</summary>
public sealed record ManifestPushResult(Digest Digest, string? EntityTag, bool SubjectProcessed)
{
    /// <summary>Set when the referrers tag schema had to be updated because the registry has no referrers API.</summary>
    public ManifestUpdateResult? ReferrersFallback { get; init; }

    /// <summary>
    /// The fallback index the referrers tag held before, when the client deleted it after replacing it
    /// (null when there was none, the registry refused the delete, or it was kept).
    /// </summary>
    public Digest? DeletedReferrersIndex { get; init; }
}
