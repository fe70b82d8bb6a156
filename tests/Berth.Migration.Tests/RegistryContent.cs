using System.IO.Compression;
using System.Text.Json.Nodes;
using Berth.Oci.Manifests;

namespace Berth.Migration.Tests;

/// <summary>A manifest or index with everything it needs, as pushed by a client.</summary>
public sealed record PushedManifest(byte[] Content, string MediaType, IReadOnlyList<(string Digest, byte[] Content)> Blobs,
    IReadOnlyList<PushedManifest> Children)
{
    public string Digest => ContentDigest.Sha256(Content);
}

/// <summary>
/// The content of the tests: images with gzip layers (clients push compressed layers as they are; an
/// uncompressed one would be compressed on the way and change digest), indexes over them, referrers.
/// </summary>
public static class RegistryContent
{
    public static byte[] GzipLayer(int seed, int size = 3000)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(OciContent.RandomBytes(size, seed));
        return buffer.ToArray();
    }

    public static PushedManifest Image(int seed, params byte[][] layers)
    {
        var config = OciContent.Config(seed);
        var manifest = OciContent.ImageManifest(
            OciContent.Descriptor(MediaTypes.OciConfig, config),
            layers.Select(layer => OciContent.Descriptor(MediaTypes.OciLayerGzip, layer)));
        var blobs = new List<(string, byte[])> { (ContentDigest.Sha256(config), config) };
        blobs.AddRange(layers.Select(layer => (ContentDigest.Sha256(layer), layer)));
        return new PushedManifest(OciContent.Bytes(manifest), MediaTypes.OciManifest, blobs, []);
    }

    /// <summary>A Docker schema 2 image, as docker push writes it (most of what a Distribution holds).</summary>
    public static PushedManifest DockerImage(int seed, params byte[][] layers)
    {
        var config = OciContent.Config(seed);
        var manifest = OciContent.ImageManifest(
            OciContent.Descriptor(MediaTypes.DockerConfig, config),
            layers.Select(layer => OciContent.Descriptor(MediaTypes.DockerLayerGzip, layer)), MediaTypes.DockerManifest);
        var blobs = new List<(string, byte[])> { (ContentDigest.Sha256(config), config) };
        blobs.AddRange(layers.Select(layer => (ContentDigest.Sha256(layer), layer)));
        return new PushedManifest(OciContent.Bytes(manifest), MediaTypes.DockerManifest, blobs, []);
    }

    /// <summary>A Docker manifest list over Docker schema 2 images.</summary>
    public static PushedManifest DockerList(params (PushedManifest Image, string Architecture)[] platforms)
    {
        var list = OciContent.Index(platforms.Select(p =>
        {
            var descriptor = OciContent.Descriptor(MediaTypes.DockerManifest, p.Image.Content);
            descriptor["platform"] = new JsonObject { ["architecture"] = p.Architecture, ["os"] = "linux" };
            return descriptor;
        }), MediaTypes.DockerManifestList);
        return new PushedManifest(OciContent.Bytes(list), MediaTypes.DockerManifestList, [], [.. platforms.Select(p => p.Image)]);
    }

    public static PushedManifest Index(params (PushedManifest Image, string Architecture)[] platforms)
    {
        var index = OciContent.Index(platforms.Select(p =>
        {
            var descriptor = OciContent.Descriptor(MediaTypes.OciManifest, p.Image.Content);
            descriptor["platform"] = new JsonObject { ["architecture"] = p.Architecture, ["os"] = "linux" };
            return descriptor;
        }));
        return new PushedManifest(OciContent.Bytes(index), MediaTypes.OciIndex, [], [.. platforms.Select(p => p.Image)]);
    }

    /// <summary>An artifact whose subject is <paramref name="subject"/> (a referrer).</summary>
    public static PushedManifest Referrer(PushedManifest subject, int seed)
    {
        var layer = OciContent.RandomBytes(200, seed);
        var manifest = OciContent.Artifact("application/vnd.example.signature",
            OciContent.Descriptor(subject.MediaType, subject.Content),
            [OciContent.Descriptor("application/vnd.example.signature.v1", layer)]);
        var config = OciContent.EmptyJson;
        var body = OciContent.Bytes(manifest);
        var blobs = new List<(string, byte[])> { (ContentDigest.Sha256(config), config), (ContentDigest.Sha256(layer), layer) };
        return new PushedManifest(body, MediaTypes.OciManifest, blobs, []);
    }

    /// <summary>The manifest and all it references, depth first (children before the index).</summary>
    public static IEnumerable<PushedManifest> Closure(PushedManifest manifest) =>
        manifest.Children.SelectMany(Closure).Append(manifest);
}
