using System.Formats.Tar;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Server.Tests.Support;

/// <summary>A one-layer image in an OCI image layout folder (image-spec "OCI Image Layout"), for clients to copy from.</summary>
public static class OciLayoutImage
{
    /// <returns>The manifest's digest.</returns>
    public static string Write(string folder, string tag)
    {
        var blobs = Path.Combine(folder, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        var tar = TarOf("hello.txt", "hello from berth\n");
        // Compressed already, so a client pushing it has no reason to recompress it and change the digests.
        var layer = Gzip(tar);
        var layerDigest = Store(blobs, layer);
        var diffId = Sha256(tar);
        var config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray(diffId) },
        }.ToJsonString());
        var configDigest = Store(blobs, config);
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = Descriptor(MediaTypes.OciConfig, configDigest, config.Length),
            ["layers"] = new JsonArray(Descriptor(MediaTypes.OciLayer + "+gzip", layerDigest, layer.Length)),
        }.ToJsonString());
        var manifestDigest = Store(blobs, manifest);
        var descriptor = Descriptor(MediaTypes.OciManifest, manifestDigest, manifest.Length);
        descriptor["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = tag };
        File.WriteAllText(Path.Combine(folder, "index.json"),
            new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(descriptor) }.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        return manifestDigest;
    }

    private static byte[] TarOf(string name, string content)
    {
        using var stream = new MemoryStream();
        using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
                ModificationTime = DateTimeOffset.UnixEpoch,
            };
            writer.WriteEntry(entry);
        }
        return stream.ToArray();
    }

    private static byte[] Gzip(byte[] content)
    {
        using var stream = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(stream, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(content);
        }
        return stream.ToArray();
    }

    private static string Store(string blobs, byte[] content)
    {
        var digest = Sha256(content);
        File.WriteAllBytes(Path.Combine(blobs, digest["sha256:".Length..]), content);
        return digest;
    }
}
