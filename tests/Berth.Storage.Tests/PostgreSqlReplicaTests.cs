using System.Security.Cryptography;
using System.Text;
using Berth.Oci.Digests;
using Berth.Oci.Manifests;
using Berth.Oci.Preconditions;
using Berth.Registry;
using Berth.Registry.Operations;
using Berth.Storage.PostgreSql;
using Berth.Testing.Backends;

namespace Berth.Storage.Tests;

/// <summary>
/// Two registries on one PostgreSQL database (and one shared blob folder), as two replicas behind a
/// load balancer: what one acknowledges, the other shows on its very next read, caches notwithstanding.
/// </summary>
public sealed class PostgreSqlReplicaTests : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "berth-replicas-" + Guid.NewGuid().ToString("N")[..12]);
    private BerthRegistry _first = null!;
    private BerthRegistry _second = null!;

    public async Task InitializeAsync()
    {
        var connectionString = await (await PostgreSqlCluster.SharedAsync()).CreateDatabaseAsync("replicas");
        var options = new RegistryOptions { DataDirectory = _data };
        _first = BerthRegistry.Open(options, PostgreSqlMetadataStore.Open(new PostgreSqlMetadataOptions { ConnectionString = connectionString }), null);
        _second = BerthRegistry.Open(options, PostgreSqlMetadataStore.Open(new PostgreSqlMetadataOptions { ConnectionString = connectionString }), null);
    }

    public Task DisposeAsync()
    {
        _first.Dispose();
        _second.Dispose();
        Directory.Delete(_data, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_tag_written_on_one_replica_is_listed_and_served_by_the_other_at_once()
    {
        var manifest = await PushImageAsync(_first, "app", "v1");
        Assert.Equal(["v1"], Tags(_second, "app")); // the second replica now caches the whole list
        Assert.Equal(["v1"], Tags(_second, "app"));

        await PutManifestAsync(_first, "app", "v2", manifest);
        Assert.Equal(["v1", "v2"], Tags(_second, "app"));
        var read = _second.Manifests.Read("app", "v2", RequestPreconditions.None);
        Assert.True(read.IsSuccess, read.Error?.Message);

        Assert.True((await _second.Manifests.DeleteAsync("app", "v1", RequestPreconditions.None, null)).IsSuccess);
        Assert.Equal(["v2"], Tags(_first, "app"));
        Assert.False(_first.Manifests.Read("app", "v1", RequestPreconditions.None).IsSuccess);
    }

    private static IReadOnlyList<string> Tags(BerthRegistry registry, string name)
    {
        var list = registry.Listings.Tags(name, null, null);
        Assert.True(list.IsSuccess, list.Error?.Message);
        return list.Value.Names;
    }

    private static async Task<byte[]> PushImageAsync(BerthRegistry registry, string name, string tag)
    {
        var config = Encoding.UTF8.GetBytes($"{{\"nonce\":\"{Guid.NewGuid():N}\"}}");
        var layer = RandomNumberGenerator.GetBytes(1000);
        foreach (var blob in new[] { config, layer })
        {
            var digest = Digest.Compute(DigestAlgorithm.Sha256, blob);
            var pushed = await registry.Uploads.PushMonolithicAsync(name, digest.ToString(), new MemoryStream(blob), blob.Length, CancellationToken.None);
            Assert.True(pushed.IsSuccess, pushed.Error?.Message);
        }
        var manifest = Encoding.UTF8.GetBytes(
            $"{{\"schemaVersion\":2,\"mediaType\":\"{MediaTypes.OciManifest}\"," +
            $"\"config\":{{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"{Digest.Compute(DigestAlgorithm.Sha256, config)}\",\"size\":{config.Length}}}," +
            $"\"layers\":[{{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"{Digest.Compute(DigestAlgorithm.Sha256, layer)}\",\"size\":{layer.Length}}}]}}");
        await PutManifestAsync(registry, name, tag, manifest);
        return manifest;
    }

    private static async Task PutManifestAsync(BerthRegistry registry, string name, string tag, byte[] manifest)
    {
        var written = await registry.Manifests.PutAsync(new ManifestPut
        {
            Name = name,
            Reference = tag,
            ContentType = MediaTypes.OciManifest,
            Body = new MemoryStream(manifest),
        }, CancellationToken.None);
        Assert.True(written.IsSuccess, written.Error?.Message);
    }
}
