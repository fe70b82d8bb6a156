using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Interop.Tests.Support;

/// <summary>A content descriptor as it appears in manifests and index.json.</summary>
public sealed record Descriptor(string MediaType, string Digest, long Size)
{
    public JsonObject ToJson(JsonObject? platform = null, string? refName = null)
    {
        var json = new JsonObject { ["mediaType"] = MediaType, ["digest"] = Digest, ["size"] = Size };
        if (platform is not null) json["platform"] = platform;
        if (refName is not null) json["annotations"] = new JsonObject { [OciLayout.RefNameAnnotation] = refName };
        return json;
    }
}

/// <summary>
/// An OCI image layout folder (image-spec layout.md): oci-layout, index.json and blobs/sha256/…,
/// written and read by the tests so that every image is built offline and every copy can be checked
/// byte for byte.
/// </summary>
public sealed class OciLayout
{
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";

    private OciLayout(string path) => Path = path;

    public string Path { get; }

    public static OciLayout Create(string path)
    {
        Directory.CreateDirectory(System.IO.Path.Combine(path, "blobs", "sha256"));
        File.WriteAllText(System.IO.Path.Combine(path, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        var layout = new OciLayout(path);
        layout.WriteIndex([]);
        return layout;
    }

    public static OciLayout Open(string path)
    {
        if (!File.Exists(System.IO.Path.Combine(path, "index.json")))
        {
            throw new InvalidOperationException($"{path} is not an OCI image layout (no index.json)");
        }
        return new OciLayout(path);
    }

    public string BlobPath(string digest)
    {
        var (algorithm, hex) = SplitDigest(digest);
        return System.IO.Path.Combine(Path, "blobs", algorithm, hex);
    }

    public byte[] ReadBlob(string digest) => File.ReadAllBytes(BlobPath(digest));

    public JsonNode ReadJsonBlob(string digest) => JsonNode.Parse(ReadBlob(digest))!;

    public Descriptor WriteBlob(byte[] content, string mediaType)
    {
        var digest = ContentDigest.Sha256(content);
        File.WriteAllBytes(BlobPath(digest), content);
        return new Descriptor(mediaType, digest, content.Length);
    }

    /// <summary>Moves a file that is already complete into blobs/, named by its digest.</summary>
    public Descriptor AdoptBlob(string file, string mediaType)
    {
        var digest = ContentDigest.Sha256File(file);
        var size = new FileInfo(file).Length;
        File.Move(file, BlobPath(digest), overwrite: true);
        return new Descriptor(mediaType, digest, size);
    }

    public Descriptor WriteJson(JsonNode json, string mediaType) =>
        WriteBlob(Encoding.UTF8.GetBytes(json.ToJsonString()), mediaType);

    /// <summary>The manifests listed in index.json.</summary>
    public IReadOnlyList<JsonObject> IndexEntries()
    {
        var index = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(Path, "index.json")))!;
        return index["manifests"]!.AsArray().Select(m => m!.AsObject()).ToList();
    }

    /// <summary>The index.json entry whose ref name annotation is <paramref name="refName"/>.</summary>
    public Descriptor Resolve(string refName)
    {
        var entry = IndexEntries().SingleOrDefault(m => (string?)m["annotations"]?[RefNameAnnotation] == refName)
            ?? throw new InvalidOperationException($"{Path}: index.json has no manifest named '{refName}'");
        return new Descriptor((string)entry["mediaType"]!, (string)entry["digest"]!, (long)entry["size"]!);
    }

    /// <summary>Adds (or replaces) a named entry in index.json.</summary>
    public void Tag(Descriptor manifest, string refName)
    {
        var entries = IndexEntries()
            .Where(m => (string?)m["annotations"]?[RefNameAnnotation] != refName)
            .Select(m => (JsonNode)m.DeepClone())
            .ToList();
        entries.Add(manifest.ToJson(refName: refName));
        WriteIndex(entries);
    }

    /// <summary>Every blob reachable from <paramref name="root"/> (the root itself included).</summary>
    public IReadOnlyList<Descriptor> Closure(Descriptor root)
    {
        var found = new List<Descriptor>();
        Walk(root);
        return found;

        void Walk(Descriptor descriptor)
        {
            if (found.Any(d => d.Digest == descriptor.Digest)) return;
            found.Add(descriptor);
            if (!MediaTypes.IsKnownManifest(descriptor.MediaType)) return;
            var json = ReadJsonBlob(descriptor.Digest);
            foreach (var child in ContentGraph.Children(json)) Walk(child);
        }
    }

    private void WriteIndex(IEnumerable<JsonNode> manifests)
    {
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciIndex,
            ["manifests"] = new JsonArray(manifests.ToArray()),
        };
        File.WriteAllText(System.IO.Path.Combine(Path, "index.json"), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static (string Algorithm, string Hex) SplitDigest(string digest)
    {
        var colon = digest.IndexOf(':');
        if (colon <= 0) throw new ArgumentException($"not a digest: {digest}", nameof(digest));
        return (digest[..colon], digest[(colon + 1)..]);
    }
}

/// <summary>How manifests and indexes point at other content.</summary>
public static class ContentGraph
{
    /// <summary>The descriptors a manifest (config and layers) or an index (manifests) points to.</summary>
    public static IEnumerable<Descriptor> Children(JsonNode manifest)
    {
        var nodes = manifest["manifests"] is JsonArray manifests
            ? manifests
            : new JsonArray([manifest["config"]!.DeepClone(), .. manifest["layers"]!.AsArray().Select(l => l!.DeepClone())]);
        return nodes.Select(n => new Descriptor((string)n!["mediaType"]!, (string)n["digest"]!, (long)n["size"]!)).ToList();
    }
}
