using System.Text.Json.Nodes;
using Berth.Oci.Digests;
using Berth.Oci.Manifests;

namespace Berth.Client.Content;

/// <summary>
/// Builds artifact manifests the way image-spec manifest.md "Guidelines for Artifact Usage" asks: an
/// image manifest with <c>artifactType</c> set and the empty descriptor as config (and as the only
/// layer when there are no files).
/// </summary>
public static class ArtifactManifest
{
    /// <summary>The annotation that carries a layer's file name (image-spec annotations.md).</summary>
    public const string TitleAnnotation = "org.opencontainers.image.title";

    /// <summary>The two bytes "{}" that the empty descriptor stands for.</summary>
    public static readonly byte[] EmptyJson = "{}"u8.ToArray();

    public static Descriptor EmptyDescriptor { get; } = new()
    {
        MediaType = MediaTypes.OciEmpty,
        Digest = Digest.Compute(DigestAlgorithm.Sha256, EmptyJson).ToString(),
        Size = EmptyJson.Length,
    };

    public static Manifest Build(string artifactType, IReadOnlyList<Descriptor> layers, Descriptor? subject = null,
        IReadOnlyDictionary<string, string>? annotations = null)
    {
        var layerArray = new JsonArray();
        foreach (var layer in layers.Count > 0 ? layers : [EmptyDescriptor]) layerArray.Add((JsonNode)ToJson(layer));
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["artifactType"] = artifactType,
            ["config"] = ToJson(EmptyDescriptor),
            ["layers"] = layerArray,
        };
        if (subject is not null) manifest["subject"] = ToJson(subject);
        if (annotations is { Count: > 0 })
        {
            var node = new JsonObject();
            foreach (var (key, value) in annotations.OrderBy(p => p.Key, StringComparer.Ordinal)) node[key] = value;
            manifest["annotations"] = node;
        }
        return Manifest.FromJson(manifest);
    }

    public static JsonObject ToJson(Descriptor descriptor)
    {
        var json = new JsonObject
        {
            ["mediaType"] = descriptor.MediaType,
            ["digest"] = descriptor.Digest,
            ["size"] = descriptor.Size,
        };
        if (descriptor.ArtifactType is not null) json["artifactType"] = descriptor.ArtifactType;
        if (descriptor.Annotations is { Count: > 0 } annotations)
        {
            var node = new JsonObject();
            foreach (var (key, value) in annotations) node[key] = value;
            json["annotations"] = node;
        }
        return json;
    }
}
