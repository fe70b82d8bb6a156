using Berth.Oci.Digests;
using Berth.Storage.Blobs;

namespace Berth.Storage.Tests;

public sealed class BlobWriteCoalescerTests
{
    private static readonly Digest Blob = Digest.Compute(DigestAlgorithm.Sha256, "layer"u8);

    [Fact]
    public async Task ConcurrentStoresOfOneDigest_ShareOneWrite()
    {
        var coalescer = new BlobWriteCoalescer();
        var release = new TaskCompletionSource();
        var writes = 0;
        Func<Task> write = async () =>
        {
            Interlocked.Increment(ref writes);
            await release.Task;
        };

        var first = coalescer.StoreAsync(Blob, write, CancellationToken.None);
        var joiners = Enumerable.Range(0, 8).Select(_ => coalescer.StoreAsync(Blob, write, CancellationToken.None)).ToArray();
        release.SetResult();
        await first;
        await Task.WhenAll(joiners);

        Assert.Equal(1, writes);
        await coalescer.StoreAsync(Blob, write, CancellationToken.None);
        Assert.Equal(2, writes); // a store after the shared write finished writes again (and renews the object's age)
    }

    [Fact]
    public async Task WhenTheSharedWriteFails_EachJoinerWritesItself()
    {
        var coalescer = new BlobWriteCoalescer();
        var release = new TaskCompletionSource();
        var joinerWrites = 0;
        var failing = coalescer.StoreAsync(Blob, async () =>
        {
            await release.Task;
            throw new StorageUnavailableException("store gone");
        }, CancellationToken.None);
        var joiner = coalescer.StoreAsync(Blob, () =>
        {
            Interlocked.Increment(ref joinerWrites);
            return Task.CompletedTask;
        }, CancellationToken.None);

        release.SetResult();
        await Assert.ThrowsAsync<StorageUnavailableException>(() => failing);
        await joiner;
        Assert.Equal(1, joinerWrites);
    }

    [Fact]
    public async Task AJoinerThatGivesUp_DoesNotCancelTheSharedWrite()
    {
        var coalescer = new BlobWriteCoalescer();
        var release = new TaskCompletionSource();
        var shared = coalescer.StoreAsync(Blob, () => release.Task, CancellationToken.None);
        using var gone = new CancellationTokenSource();
        var joiner = coalescer.StoreAsync(Blob, () => Task.CompletedTask, gone.Token);

        gone.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => joiner);
        release.SetResult();
        await shared;
    }
}
