using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Oci.Digests;
using Berth.Oci.Manifests;

namespace Berth.Client.Content;

/// <summary>
/// An OCI image layout folder (image-spec image-layout.md): <c>oci-layout</c>, <c>index.json</c> and
/// <c>blobs/&lt;alg&gt;/&lt;encoded&gt;</c>. Tags live in index.json as the
/// <c>org.opencontainers.image.ref.name</c> annotation of an entry.
/// </summary>
public sealed class OciImageLayout
{
    public const string RefNameAnnotation = "org.opencontainers.image.ref.name";
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private OciImageLayout(string root, JsonObject index)
    {
        Root = root;
        Index = index;
    }

    public string Root { get; }

    /// <summary>index.json as a tree, so fields we do not know survive a rewrite.</summary>
    public JsonObject Index { get; }

    public static bool IsLayout(string directory) => File.Exists(System.IO.Path.Combine(directory, "oci-layout"));

    public static OciImageLayout Open(string directory)
    {
        if (!IsLayout(directory)) throw new DirectoryNotFoundException($"{directory} is not an OCI image layout (no oci-layout file)");
        var index = JsonNode.Parse(File.ReadAllBytes(System.IO.Path.Combine(directory, "index.json"))) as JsonObject
            ?? throw new InvalidDataException($"{directory}/index.json is not a JSON object");
        return new OciImageLayout(directory, index);
    }

    /// <summary>Opens the layout, or creates an empty one (image-layout.md: "imageLayoutVersion": "1.0.0").</summary>
    public static OciImageLayout OpenOrCreate(string directory)
    {
        if (IsLayout(directory)) return Open(directory);
        Directory.CreateDirectory(System.IO.Path.Combine(directory, "blobs"));
        File.WriteAllText(System.IO.Path.Combine(directory, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        var layout = new OciImageLayout(directory, new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciIndex,
            ["manifests"] = new JsonArray(),
        });
        layout.Save();
        return layout;
    }

    public IReadOnlyList<JsonObject> Entries =>
        Index["manifests"] is JsonArray manifests ? [.. manifests.OfType<JsonObject>()] : [];

    /// <summary>
    /// The entry named <paramref name="refName"/>, or the only entry when no name is given. Throws when
    /// the choice is ambiguous rather than guessing.
    /// </summary>
    public Descriptor SelectEntry(string? refName)
    {
        var entries = Entries;
        if (refName is not null)
        {
            var named = entries.FirstOrDefault(e => e["annotations"]?[RefNameAnnotation]?.GetValue<string>() == refName)
                ?? throw new KeyNotFoundException($"the layout has no manifest named '{refName}'");
            return Manifest.ToDescriptor(named);
        }
        return entries.Count == 1 ? Manifest.ToDescriptor(entries[0])
            : throw new InvalidOperationException($"the layout has {entries.Count} manifests; name one with its ref name");
    }

    public string BlobPath(Digest digest) => System.IO.Path.Combine(Root, "blobs", digest.Algorithm.Name, digest.Encoded);

    public bool HasBlob(Digest digest) => File.Exists(BlobPath(digest));

    public Stream OpenBlob(Digest digest) => File.OpenRead(BlobPath(digest));

    /// <summary>Writes a blob through a temporary file and a rename, checking its digest first.</summary>
    public async Task WriteBlobAsync(Digest digest, Stream content, CancellationToken cancellationToken)
    {
        var path = BlobPath(digest);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var temporary = path + ".partial";
        using (var hasher = new DigestHasher(digest.Algorithm))
        {
            await using (var file = File.Create(temporary))
            {
                var buffer = new byte[128 * 1024];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hasher.Append(buffer.AsSpan(0, read));
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }
            }
            if (hasher.Current() != digest)
            {
                File.Delete(temporary);
                throw new Errors.DigestMismatchException(digest.ToString(), hasher.Current().ToString(), $"blob written to {Root}");
            }
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Records a manifest in index.json under a ref name, replacing an entry of the same name.</summary>
    public void SetEntry(Descriptor manifest, string? refName)
    {
        if (Index["manifests"] is not JsonArray manifests)
        {
            manifests = new JsonArray();
            Index["manifests"] = manifests;
        }
        var entry = ArtifactManifest.ToJson(manifest with { Annotations = null, ArtifactType = null });
        if (refName is not null)
        {
            foreach (var stale in manifests.OfType<JsonObject>()
                         .Where(e => e["annotations"]?[RefNameAnnotation]?.GetValue<string>() == refName).ToList())
            {
                manifests.Remove(stale);
            }
            entry["annotations"] = new JsonObject { [RefNameAnnotation] = refName };
        }
        else if (manifests.OfType<JsonObject>().Any(e => e["digest"]?.GetValue<string>() == manifest.Digest))
        {
            return;
        }
        manifests.Add((JsonNode)entry);
        Save();
    }

    private void Save() =>
        File.WriteAllText(System.IO.Path.Combine(Root, "index.json"), Index.ToJsonString(Indented));
}
