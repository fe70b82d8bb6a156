using System.Text;
using Berth.Oci.Digests;
using Berth.Registry;
using Berth.Registry.Operations;

namespace Berth.Testing;

/// <summary>Puts content into a registry through its operations (no HTTP), asserting each step was accepted.</summary>
public static class RegistryContentWriter
{
    /// <summary>Pushes a blob in one go (end-4b).</summary>
    public static async Task<Digest> PushBlobAsync(this BerthRegistry registry, string name, byte[] content)
    {
        var digest = Digest.Parse(ContentDigest.Sha256(content));
        var result = await registry.Uploads.PushMonolithicAsync(name, digest.ToString(), new MemoryStream(content), content.Length, CancellationToken.None);
        Assert.True(result.IsSuccess, result.Error?.Message);
        return digest;
    }

    /// <summary>Pushes a config unique to this call and the given layers, then a manifest tagged <paramref name="tag"/>.</summary>
    public static async Task<Digest> PushImageAsync(this BerthRegistry registry, string name, string tag, params byte[][] layers)
    {
        var image = TestImage.Create(Encoding.UTF8.GetBytes($"{{\"tag\":\"{tag}\",\"nonce\":\"{Guid.NewGuid():N}\"}}"), layers);
        return await registry.PushImageAsync(name, tag, image);
    }

    /// <summary>Pushes <paramref name="image"/>'s blobs, then its manifest under <paramref name="reference"/> (a tag or its digest).</summary>
    public static async Task<Digest> PushImageAsync(this BerthRegistry registry, string name, string reference, TestImage image)
    {
        foreach (var (_, content) in image.Blobs) await registry.PushBlobAsync(name, content);
        var written = await registry.Manifests.PutAsync(new ManifestPut
        {
            Name = name,
            Reference = reference,
            ContentType = image.MediaType,
            Body = new MemoryStream(image.Manifest),
        }, CancellationToken.None);
        Assert.True(written.IsSuccess, written.Error?.Message);
        return written.Value.Digest;
    }
}
