using System.Text;
using System.Text.Json.Nodes;
using Berth.Client.Content;
using Berth.Oci.Digests;
using Berth.Oci.Manifests;

namespace Berth.Client.Tests.Support;

/// <summary>Small but real images: a config naming the platform, one random layer, an image manifest.</summary>
public static class TestImages
{
    public static (byte[] Config, byte[] Layer, Manifest Manifest) Image(Platform platform, int seed, int layerSize = 4096)
    {
        var config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = platform.Architecture,
            ["os"] = platform.Os,
            ["variant"] = platform.Variant,
            ["config"] = new JsonObject { ["Labels"] = new JsonObject { ["seed"] = seed.ToString(System.Globalization.CultureInfo.InvariantCulture) } },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() },
        }.ToJsonString());
        var layer = RandomBytes(layerSize + seed, seed);
        var manifest = Manifest.FromJson(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = OciContent.Descriptor(MediaTypes.OciConfig, config),
            ["layers"] = new JsonArray(OciContent.Descriptor(MediaTypes.OciLayer, layer)),
        });
        return (config, layer, manifest);
    }

    /// <summary>Pushes one platform's image by digest (no tag) and returns its manifest.</summary>
    public static async Task<Manifest> PushImageAsync(RepositoryClient repository, Platform platform, int seed, int layerSize = 4096)
    {
        var (config, layer, manifest) = Image(platform, seed, layerSize);
        await repository.PushBlobAsync(config);
        await repository.PushBlobAsync(layer);
        await repository.PutManifestAsync(manifest.Digest.ToString(), manifest);
        return manifest;
    }

    /// <summary>Writes an OCI image layout holding a multi-platform index named <paramref name="refName"/>.</summary>
    public static Manifest WriteLayout(string directory, string refName, IReadOnlyList<Platform> platforms, int seed)
    {
        var layout = OciImageLayout.OpenOrCreate(directory);
        var entries = new JsonArray();
        for (var i = 0; i < platforms.Count; i++)
        {
            var (config, layer, manifest) = Image(platforms[i], seed + i);
            WriteBlob(layout, config);
            WriteBlob(layout, layer);
            WriteBlob(layout, manifest.Bytes);
            var entry = OciContent.Descriptor(MediaTypes.OciManifest, manifest.Bytes);
            entry["platform"] = platforms[i].ToJson();
            entries.Add(entry);
        }
        var index = Manifest.FromJson(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciIndex,
            ["manifests"] = entries,
        });
        WriteBlob(layout, index.Bytes);
        layout.SetEntry(index.Descriptor, refName);
        return index;
    }

    private static void WriteBlob(OciImageLayout layout, byte[] content)
    {
        var digest = Digest.Compute(DigestAlgorithm.Sha256, content);
        layout.WriteBlobAsync(digest, new MemoryStream(content), CancellationToken.None).GetAwaiter().GetResult();
    }

    public static IReadOnlyList<Platform> EightPlatforms { get; } =
    [
        new("linux", "amd64"), new("linux", "arm64", "v8"), new("linux", "arm", "v7"), new("linux", "arm", "v6"),
        new("linux", "386"), new("linux", "ppc64le"), new("linux", "s390x"), new("linux", "riscv64"),
    ];
}
