using Berth.Storage.Configuration;
using Berth.Storage.ObjectStores.S3;
using Berth.Testing.Backends;

namespace Berth.Storage.Tests.Contract;

/// <summary>The contract on the S3 API, against a private Ceph RADOS Gateway; each test gets its own bucket.</summary>
public sealed class S3StoreTests(CephRadosGatewayFixture ceph) : ObjectStoreContract, IClassFixture<CephRadosGatewayFixture>
{
    private string _bucket = "";

    // The smallest segment S3 allows, so a few MiB of test data exercise multipart stitching.
    private S3StorageOptions Options => ceph.Gateway.StorageOptions(_bucket, keyPrefix: "registry") with { SegmentBytes = 5 << 20 };

    protected override async Task CreateStorageAsync()
    {
        _bucket = "berth-" + Guid.NewGuid().ToString("N")[..12];
        using var bucket = new S3Bucket(Options);
        await bucket.EnsureExistsAsync();
    }

    protected override StoreReplica OpenReplica() => Open(Options);

    protected override StoreReplica OpenRedirectingReplica() => Open(Options with { Redirect = true });

    protected override Task MakeUnreachableAsync()
    {
        ceph.Gateway.KillGateway();
        return Task.CompletedTask;
    }

    protected override Task RestoreAsync() => ceph.Gateway.RestartGatewayAsync();

    protected override async Task<int> CountUploadObjectsAsync()
    {
        using var bucket = new S3Bucket(Options);
        var listed = await bucket.Client.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request
        {
            BucketName = _bucket, Prefix = bucket.Keys.Prefix + "uploads/",
        });
        return listed.S3Objects?.Count ?? 0;
    }

    private static StoreReplica Open(S3StorageOptions options)
    {
        var bucket = new S3Bucket(options);
        var blobs = new S3BlobStore(bucket);
        return new StoreReplica(blobs, new S3UploadStore(bucket, blobs), bucket);
    }

    [Fact]
    public void Options_NeverPrintTheSecret()
    {
        var printed = Options.ToString();
        Assert.Contains(CephRadosGateway.AccessKey, printed);
        Assert.DoesNotContain(CephRadosGateway.SecretKey, printed);
    }

    protected override async Task<int> CountPendingPartsAsync()
    {
        using var bucket = new S3Bucket(Options);
        var listed = await bucket.Client.ListMultipartUploadsAsync(new Amazon.S3.Model.ListMultipartUploadsRequest { BucketName = _bucket });
        return listed.MultipartUploads?.Count ?? 0;
    }

    [Fact]
    public async Task ChunkedUpload_ReadsBackOnlyWhatAnotherReplicaStored()
    {
        var first = Open(Options);
        var second = Open(Options);
        var content = RandomBytes(12 * MiB);
        var id = Uploads.UploadIds.New();
        await first.Uploads.CreateAsync(id, Oci.Digests.DigestAlgorithm.Sha256);
        await first.Uploads.AppendAsync(id, Oci.Digests.DigestAlgorithm.Sha256, new MemoryStream(content, 0, 6 * MiB), 0, null, cancellationToken: CancellationToken.None);
        await second.Uploads.AppendAsync(id, Oci.Digests.DigestAlgorithm.Sha256, new MemoryStream(content, 6 * MiB, 6 * MiB), 6 * MiB, null, cancellationToken: CancellationToken.None);

        Assert.True((await first.Uploads.CompleteAsync(id, Oci.Digests.DigestAlgorithm.Sha256, DigestOf(content), CancellationToken.None)).Matched);

        // The first replica caught up by reading the second replica's 6 MiB only; the second never hashed.
        Assert.Equal(6 * MiB, ((S3UploadStore)first.Uploads).BytesRereadForHashing);
        Assert.Equal(0, ((S3UploadStore)second.Uploads).BytesRereadForHashing);
        first.Dispose();
        second.Dispose();
    }
}
