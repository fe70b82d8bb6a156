using Berth.Client.Tests.Support;
using Berth.Oci.Digests;

namespace Berth.Client.Tests;

/// <summary>
/// Transfers survive a connection reset midway: uploads ask the upload's status (end-13) and go on
/// from the registry's Range; downloads reconnect with Range + If-Range and keep verifying the digest.
/// The reset is made by a TCP proxy between the client and the real registry.
/// </summary>
public abstract class ResumeTests(ITestRegistry registry)
{
    [Fact]
    public async Task Download_CutMidway_ResumesWithRange_AndVerifiesTheDigest()
    {
        var content = RandomBytes(3_000_000, 21);
        var digest = Digest.Compute(DigestAlgorithm.Sha256, content);
        var name = TestRegistryExtensions.UniqueRepository("resume/download");
        using (var direct = registry.NewClient())
        {
            await direct.Repository(name).PushBlobAsync(content);
        }

        await using var proxy = new ConnectionCuttingProxy(registry.Host);
        using var client = TestRegistryExtensions.NewClient(proxy.Host);
        var repository = client.Repository(name);
        proxy.CutOnce(TrafficDirection.Downstream, 1_000_000);
        await using var stream = await repository.OpenBlobAsync(digest, content.Length);
        using var received = new MemoryStream();
        await stream.CopyToAsync(received);

        Assert.Equal(1, proxy.Cuts);
        Assert.Equal(1, stream.Resumes);
        Assert.Equal(content, received.ToArray());
    }

    [Fact]
    public async Task Download_OfCorruptedLength_FailsVerification()
    {
        var content = RandomBytes(10_000, 22);
        var digest = Digest.Compute(DigestAlgorithm.Sha256, content);
        using var client = registry.NewClient();
        var repository = client.Repository(TestRegistryExtensions.UniqueRepository("resume/verify"));
        await repository.PushBlobAsync(content);

        // Expecting a different size than the blob has must fail, not hand back unverified bytes.
        await Assert.ThrowsAsync<Errors.DigestMismatchException>(() => repository.PullBlobAsync(digest, new MemoryStream(), content.Length + 1));
    }

    [Fact]
    public async Task ChunkedUpload_CutMidway_ResumesFromTheRegistrysRange()
    {
        var content = RandomBytes(2_500_000, 23);
        var digest = Digest.Compute(DigestAlgorithm.Sha256, content);
        await using var proxy = new ConnectionCuttingProxy(registry.Host);
        using var client = TestRegistryExtensions.NewClient(proxy.Host, o => o with { MonolithicUploadLimit = 0, ChunkSize = 1024 * 1024 });
        var repository = client.Repository(TestRegistryExtensions.UniqueRepository("resume/chunked"));

        proxy.CutOnce(TrafficDirection.Upstream, 1_500_000);
        var pushed = await repository.PushBlobAsync(new MemoryStream(content), digest, content.Length);

        Assert.Equal(1, proxy.Cuts);
        Assert.True(pushed.Resumes >= 1);
        await AssertBlobAsync(repository, digest, content);
    }

    [Fact]
    public async Task MonolithicUpload_CutMidway_ResumesInChunks()
    {
        var content = RandomBytes(2_000_000, 24);
        var digest = Digest.Compute(DigestAlgorithm.Sha256, content);
        await using var proxy = new ConnectionCuttingProxy(registry.Host);
        using var client = TestRegistryExtensions.NewClient(proxy.Host, o => o with { ChunkSize = 512 * 1024 });
        var repository = client.Repository(TestRegistryExtensions.UniqueRepository("resume/monolithic"));
        // Settle the session's connections first, so the cut lands in the PUT's body.
        await repository.GetBlobSizeAsync(digest);

        proxy.CutOnce(TrafficDirection.Upstream, 1_000_000);
        var pushed = await repository.PushBlobAsync(new MemoryStream(content), digest, content.Length);

        Assert.Equal(1, proxy.Cuts);
        Assert.True(pushed.Resumes >= 1);
        await AssertBlobAsync(repository, digest, content);
    }

    private async Task AssertBlobAsync(RepositoryClient viaProxy, Digest digest, byte[] content)
    {
        using var direct = registry.NewClient();
        using var back = new MemoryStream();
        await direct.Repository(viaProxy.Name).PullBlobAsync(digest, back, content.Length);
        Assert.Equal(content, back.ToArray());
    }
}

public sealed class BerthResumeTests(BerthRegistryFixture registry) : ResumeTests(registry), IClassFixture<BerthRegistryFixture>
{
    [Fact]
    public async Task ChunkedUpload_FromASourceThatCannotSeek_ResumesFromTheChunkInMemory()
    {
        // Berth keeps the bytes of a broken PATCH, so the registry's Range falls inside the chunk we still hold.
        var content = RandomBytes(2_500_000, 25);
        var digest = Digest.Compute(DigestAlgorithm.Sha256, content);
        await using var proxy = new ConnectionCuttingProxy(registry.Host);
        using var client = TestRegistryExtensions.NewClient(proxy.Host, o => o with { MonolithicUploadLimit = 0, ChunkSize = 1024 * 1024 });
        var repository = client.Repository(TestRegistryExtensions.UniqueRepository("resume/pipe"));

        proxy.CutOnce(TrafficDirection.Upstream, 1_500_000);
        var pushed = await repository.PushBlobAsync(new NonSeekableStream(content), digest, content.Length);

        Assert.Equal(1, proxy.Cuts);
        Assert.Equal(0, pushed.Restarts);
        Assert.True(pushed.Resumes >= 1);
        Assert.Equal(content.Length, await client.Repository(repository.Name).GetBlobSizeAsync(digest));
    }

    /// <summary>A source that cannot seek back, like a pipe.</summary>
    private sealed class NonSeekableStream(byte[] content) : MemoryStream(content, writable: false)
    {
        public override bool CanSeek => false;
    }
}

public sealed class DistributionResumeTests(DistributionRegistryFixture registry) : ResumeTests(registry), IClassFixture<DistributionRegistryFixture>;
