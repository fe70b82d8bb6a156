using System.Security.Cryptography;
using System.Text;
using Berth.Oci.Digests;
using Berth.Oci.Manifests;
using Berth.Registry.Operations;
using Berth.Registry.Policies;

namespace Berth.Registry.Tests;

/// <summary>A registry opened on a fresh temporary data folder, driven through its operations without HTTP.</summary>
public sealed class TemporaryRegistry : IDisposable
{
    private TemporaryRegistry(BerthRegistry registry, string directory)
    {
        Registry = registry;
        Directory = directory;
    }

    public BerthRegistry Registry { get; }

    public string Directory { get; }

    public static TemporaryRegistry Open(TimeSpan? gracePeriod = null, params RepositoryPolicy[] policies)
    {
        var directory = Path.Combine(Path.GetTempPath(), "berth-registry-test-" + Guid.NewGuid().ToString("N"));
        var registry = BerthRegistry.Open(new RegistryOptions
        {
            DataDirectory = directory,
            GarbageCollectionGracePeriod = gracePeriod ?? TimeSpan.Zero,
            Policies = policies,
        });
        return new TemporaryRegistry(registry, directory);
    }

    public async Task<Digest> PushBlobAsync(string name, byte[] content)
    {
        var digest = Digest.Compute(DigestAlgorithm.Sha256, content);
        var result = await Registry.Uploads.PushMonolithicAsync(name, digest.ToString(), new MemoryStream(content), CancellationToken.None);
        Assert.True(result.IsSuccess, result.Error?.Message);
        return digest;
    }

    /// <summary>Pushes a config and the given layers, then a manifest tagged <paramref name="tag"/>.</summary>
    public async Task<Digest> PushImageAsync(string name, string tag, params byte[][] layers)
    {
        var config = Encoding.UTF8.GetBytes($"{{\"tag\":\"{tag}\",\"nonce\":\"{Guid.NewGuid():N}\"}}");
        var configDigest = await PushBlobAsync(name, config);
        var layerDescriptors = new List<string>();
        foreach (var layer in layers)
        {
            var digest = await PushBlobAsync(name, layer);
            layerDescriptors.Add($"{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"{digest}\",\"size\":{layer.Length}}}");
        }
        var manifest = Encoding.UTF8.GetBytes(
            $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciManifest}\"," +
            $"\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{configDigest}\",\"size\":{config.Length}}}," +
            $"\"layers\":[{string.Join(',', layerDescriptors)}]}}");
        var written = await Registry.Manifests.PutAsync(new ManifestPut
        {
            Name = name,
            Reference = tag,
            ContentType = MediaTypes.OciManifest,
            Body = new MemoryStream(manifest),
        }, CancellationToken.None);
        Assert.True(written.IsSuccess, written.Error?.Message);
        return written.Value.Digest;
    }

    public static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);

    public void Dispose()
    {
        Registry.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
