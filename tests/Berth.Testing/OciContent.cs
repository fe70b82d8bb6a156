using System.Text;
using System.Text.Json.Nodes;
using Berth.Oci.Manifests;

namespace Berth.Testing;

/// <summary>
/// Builds test content as the OCI image spec shapes it: blobs, descriptors, image manifests, indexes
/// and artifacts with a subject. Everything is plain JSON and bytes; sending it is up to each test.
/// </summary>
public static class OciContent
{
    /// <summary>The image spec's empty descriptor content, "{}" (image-spec manifest.md, "Guidance for an Empty Descriptor").</summary>
    public static byte[] EmptyJson => "{}"u8.ToArray();

    /// <summary>Random bytes unique to this call: a blob no other test pushes.</summary>
    public static byte[] RandomBytes(int length) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(length);

    /// <summary>Deterministic pseudo-random bytes: the same seed gives the same blob.</summary>
    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    /// <summary>A small image config, distinct per seed.</summary>
    public static byte[] Config(int seed) => Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":{seed}}}");

    public static JsonObject Descriptor(string mediaType, string digest, long size) =>
        new() { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = size };

    /// <summary>The SHA-256 descriptor of <paramref name="content"/>.</summary>
    public static JsonObject Descriptor(string mediaType, byte[] content) =>
        Descriptor(mediaType, ContentDigest.Sha256(content), content.Length);

    /// <summary>An image manifest; <paramref name="mediaType"/> null leaves the field out (it is optional).</summary>
    public static JsonObject ImageManifest(JsonObject config, IEnumerable<JsonObject> layers, string? mediaType = MediaTypes.OciManifest)
    {
        var manifest = new JsonObject { ["schemaVersion"] = 2 };
        if (mediaType is not null) manifest["mediaType"] = mediaType;
        manifest["config"] = Detached(config);
        manifest["layers"] = new JsonArray([.. layers.Select(Detached)]);
        return manifest;
    }

    public static JsonObject Index(IEnumerable<JsonObject> manifests, string? mediaType = MediaTypes.OciIndex)
    {
        var index = new JsonObject { ["schemaVersion"] = 2 };
        if (mediaType is not null) index["mediaType"] = mediaType;
        index["manifests"] = new JsonArray([.. manifests.Select(Detached)]);
        return index;
    }

    /// <summary>Adds a subject (making the manifest a referrer of it), an artifactType and annotations, each when given.</summary>
    public static JsonObject With(this JsonObject manifest, JsonObject? subject = null, string? artifactType = null,
        IReadOnlyDictionary<string, string>? annotations = null)
    {
        if (artifactType is not null) manifest["artifactType"] = artifactType;
        if (subject is not null) manifest["subject"] = Detached(subject);
        if (annotations is not null)
        {
            var node = new JsonObject();
            foreach (var (key, value) in annotations) node[key] = value;
            manifest["annotations"] = node;
        }
        return manifest;
    }

    /// <summary>
    /// An artifact (image-spec "Guidelines for Artifact Usage"): the empty config, the given layers and
    /// an artifactType, referring to <paramref name="subject"/>.
    /// </summary>
    public static JsonObject Artifact(string artifactType, JsonObject subject, IEnumerable<JsonObject> layers) =>
        ImageManifest(Descriptor(MediaTypes.OciEmpty, EmptyJson), layers).With(subject, artifactType);

    /// <summary>A node can belong to one document only; descriptors used twice are copied.</summary>
    private static JsonNode Detached(JsonObject node) => node.Parent is null ? node : node.DeepClone();
}

/// <summary>An image ready to push: its config, its layers and its manifest, as bytes.</summary>
public sealed record TestImage(byte[] Config, IReadOnlyList<byte[]> Layers, byte[] Manifest, string MediaType = MediaTypes.OciManifest)
{
    public string Digest => ContentDigest.Sha256(Manifest);

    /// <summary>The config, then each layer, with their digests: what must be pushed before the manifest.</summary>
    public IReadOnlyList<(string Digest, byte[] Content)> Blobs =>
        [(ContentDigest.Sha256(Config), Config), .. Layers.Select(layer => (ContentDigest.Sha256(layer), layer))];

    /// <summary>An OCI image manifest over <paramref name="config"/> and <paramref name="layers"/> (uncompressed tar layers).</summary>
    public static TestImage Create(byte[] config, params byte[][] layers) => Create(config, layers, subject: null);

    public static TestImage Create(byte[] config, IReadOnlyList<byte[]> layers, JsonObject? subject, string? artifactType = null,
        IReadOnlyDictionary<string, string>? annotations = null)
    {
        var manifest = OciContent.ImageManifest(
            OciContent.Descriptor(MediaTypes.OciConfig, config),
            layers.Select(layer => OciContent.Descriptor(MediaTypes.OciLayer, layer))).With(subject, artifactType, annotations);
        return new TestImage(config, layers, OciContent.Bytes(manifest));
    }

    /// <summary>A config and one random layer, both distinct per seed.</summary>
    public static TestImage FromSeed(int seed, int layerSize = 100) =>
        Create(OciContent.Config(seed), OciContent.RandomBytes(layerSize + seed % 50, seed));
}
