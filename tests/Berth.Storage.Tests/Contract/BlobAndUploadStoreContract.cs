using System.Security.Cryptography;
using Berth.Oci.Digests;
using Berth.Storage.Uploads;

namespace Berth.Storage.Tests.Contract;

/// <summary>
/// What every blob store + upload store pair must do, whatever holds the bytes. Each backend derives
/// from this class once; every test gets fresh, empty storage.
/// </summary>
public abstract class BlobAndUploadStoreContract : IAsyncLifetime
{
    protected const int MiB = 1 << 20;

    private readonly List<StoreReplica> _replicas = [];

    /// <summary>Prepares fresh storage for one test (a folder, bucket or container).</summary>
    protected abstract Task CreateStorageAsync();

    /// <summary>A new, independent pair of store instances over this test's storage: another replica.</summary>
    protected abstract StoreReplica OpenReplica();

    /// <summary>
    /// What the upload store says of an upload it holds nothing of: -1 (gone) where every upload is created
    /// eagerly; 0 where an upload's objects appear with its first bytes, since a session's existence is then
    /// only the metadata store's to say.
    /// </summary>
    protected virtual long LengthOfAnUploadWithNoData => -1;

    public Task InitializeAsync() => CreateStorageAsync();

    public virtual Task DisposeAsync()
    {
        foreach (var replica in _replicas) replica.Dispose();
        return Task.CompletedTask;
    }

    protected StoreReplica Replica()
    {
        var replica = OpenReplica();
        _replicas.Add(replica);
        return replica;
    }

    protected static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    protected static Digest DigestOf(byte[] content, DigestAlgorithm? algorithm = null)
    {
        using var hasher = new DigestHasher(algorithm ?? DigestAlgorithm.Sha256);
        hasher.Append(content);
        return hasher.Current();
    }

    /// <summary>Uploads <paramref name="content"/> in the given chunk sizes, each with its offset, and completes it.</summary>
    protected static async Task<Digest> UploadAsync(StoreReplica replica, byte[] content, params int[] chunkSizes)
    {
        var id = UploadIds.New();
        await replica.Uploads.CreateAsync(id, DigestAlgorithm.Sha256);
        var offset = 0;
        foreach (var size in chunkSizes.Length == 0 ? [content.Length] : chunkSizes)
        {
            var appended = await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(content, offset, size), offset, null, cancellationToken: CancellationToken.None);
            Assert.Equal(new AppendResult(AppendStatus.Appended, offset + size), appended);
            offset += size;
        }
        Assert.Equal(content.Length, offset);
        var digest = DigestOf(content);
        var completed = await replica.Uploads.CompleteAsync(id, DigestAlgorithm.Sha256, digest, CancellationToken.None);
        Assert.True(completed.Matched);
        Assert.Equal(content.Length, completed.Length);
        return digest;
    }

    protected static async Task<byte[]> ReadAsync(StoreReplica replica, Digest digest, long offset, long length)
    {
        await using var stream = await replica.Blobs.OpenReadAsync(digest, offset, length);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    [Fact]
    public async Task StoredBlob_IsFoundAndReadWholeOrByRange()
    {
        var replica = Replica();
        var content = RandomBytes(300_000);
        var digest = await UploadAsync(replica, content);

        var found = await replica.Blobs.FindAsync(digest);
        Assert.NotNull(found);
        Assert.Equal(content.Length, found.Value.Length);
        Assert.True(found.Value.StoredAt > DateTimeOffset.UtcNow - TimeSpan.FromMinutes(5));
        Assert.Equal(content, await ReadAsync(replica, digest, 0, content.Length));
        Assert.Equal(content[1000..1100], await ReadAsync(replica, digest, 1000, 100));
        Assert.Equal(content[^1..], await ReadAsync(replica, digest, content.Length - 1, 1));
    }

    [Fact]
    public async Task MissingBlob_IsNotFound()
    {
        var replica = Replica();
        var digest = DigestOf(RandomBytes(10));
        Assert.Null(await replica.Blobs.FindAsync(digest));
        await Assert.ThrowsAnyAsync<FileNotFoundException>(() => replica.Blobs.OpenReadAsync(digest, 0, 10));
        Assert.Equal(-1, await replica.Blobs.RemoveIfOlderThanAsync(digest, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task EmptyBlob_IsStored()
    {
        var replica = Replica();
        var digest = await UploadAsync(replica, []);
        Assert.Equal(0, (await replica.Blobs.FindAsync(digest))!.Value.Length);
        Assert.Empty(await ReadAsync(replica, digest, 0, 0));
    }

    [Fact]
    public async Task ManySmallChunks_AreStoredInOrder()
    {
        var replica = Replica();
        var sizes = Enumerable.Range(0, 40).Select(i => 1000 + i * 7919).ToArray();
        var content = RandomBytes(sizes.Sum());
        var digest = await UploadAsync(replica, content, sizes);
        Assert.Equal(content, await ReadAsync(replica, digest, 0, content.Length));
    }

    [Fact]
    public async Task ChunksAroundTheFiveMebibytePartMinimum_AreStoredInOrder()
    {
        var replica = Replica();
        // Small chunk first (a tail that must grow), then chunks crossing part boundaries, a 1-byte chunk,
        // and a small last chunk.
        int[] sizes = [3 * MiB, 6 * MiB + 17, 1, 5 * MiB, 7 * MiB + 3, 100];
        var content = RandomBytes(sizes.Sum());
        var digest = await UploadAsync(replica, content, sizes);
        Assert.Equal(content.Length, (await replica.Blobs.FindAsync(digest))!.Value.Length);
        Assert.Equal(content, await ReadAsync(replica, digest, 0, content.Length));
        // A range spanning the place where two chunks met.
        Assert.Equal(content[(9 * MiB)..(9 * MiB + 4096)], await ReadAsync(replica, digest, 9 * MiB, 4096));
    }

    [Fact]
    public async Task WrongDigest_IsRefused_NothingBecomesVisible_AndTheUploadCanStillComplete()
    {
        var replica = Replica();
        var content = RandomBytes(6 * MiB + 5);
        var id = UploadIds.New();
        await replica.Uploads.CreateAsync(id, DigestAlgorithm.Sha256);
        await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(content), 0, null, cancellationToken: CancellationToken.None);
        var claimed = DigestOf(RandomBytes(32));

        var refused = await replica.Uploads.CompleteAsync(id, DigestAlgorithm.Sha256, claimed, CancellationToken.None);

        Assert.False(refused.Matched);
        Assert.Equal(DigestOf(content), refused.Actual);
        Assert.Null(await replica.Blobs.FindAsync(claimed));
        Assert.Null(await replica.Blobs.FindAsync(DigestOf(content)));
        Assert.Empty(await ListAllAsync(replica));
        Assert.Equal(content.Length, await replica.Uploads.LengthOfAsync(id));
        var completed = await replica.Uploads.CompleteAsync(id, DigestAlgorithm.Sha256, DigestOf(content), CancellationToken.None);
        Assert.True(completed.Matched);
        Assert.Equal(content, await ReadAsync(replica, DigestOf(content), 0, content.Length));
    }

    [Fact]
    public async Task Sha512Upload_IsVerifiedWithSha512()
    {
        var replica = Replica();
        var content = RandomBytes(2 * MiB + 3);
        var id = UploadIds.New();
        await replica.Uploads.CreateAsync(id, DigestAlgorithm.Sha512);
        await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha512, new MemoryStream(content, 0, MiB), 0, null, cancellationToken: CancellationToken.None);
        await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha512, new MemoryStream(content, MiB, content.Length - MiB), MiB, null, cancellationToken: CancellationToken.None);
        var digest = DigestOf(content, DigestAlgorithm.Sha512);
        Assert.Equal(64 * 2, digest.Encoded.Length);

        var completed = await replica.Uploads.CompleteAsync(id, DigestAlgorithm.Sha512, digest, CancellationToken.None);

        Assert.True(completed.Matched);
        Assert.Equal(content, await ReadAsync(replica, digest, 0, content.Length));
        Assert.Equal(Convert.ToHexStringLower(SHA512.HashData(content)), digest.Encoded);
    }

    [Fact]
    public async Task ClosingWithAnotherAlgorithm_RehashesTheBytes()
    {
        var replica = Replica();
        var content = RandomBytes(100_000);
        var id = UploadIds.New();
        await replica.Uploads.CreateAsync(id, DigestAlgorithm.Sha256);
        await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(content), 0, null, cancellationToken: CancellationToken.None);
        var digest = DigestOf(content, DigestAlgorithm.Sha512);
        Assert.True((await replica.Uploads.CompleteAsync(id, DigestAlgorithm.Sha256, digest, CancellationToken.None)).Matched);
        Assert.NotNull(await replica.Blobs.FindAsync(digest));
    }

    [Fact]
    public async Task ChunksAlternatingBetweenReplicas_CompleteWithTheRightDigest()
    {
        var first = Replica();
        var second = Replica();
        int[] sizes = [2 * MiB, 6 * MiB + 1, 100_000, 5 * MiB, 3, 1 * MiB];
        var content = RandomBytes(sizes.Sum());
        var id = UploadIds.New();
        await first.Uploads.CreateAsync(id, DigestAlgorithm.Sha256);
        var offset = 0;
        for (var i = 0; i < sizes.Length; i++)
        {
            var replica = i % 2 == 0 ? first : second;
            var appended = await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(content, offset, sizes[i]), offset, null, cancellationToken: CancellationToken.None);
            Assert.Equal(new AppendResult(AppendStatus.Appended, offset + sizes[i]), appended);
            offset += sizes[i];
            Assert.Equal(offset, await (i % 2 == 0 ? second : first).Uploads.LengthOfAsync(id));
        }
        var digest = DigestOf(content);

        // Closed on the replica that did not receive the last chunk.
        var completed = await first.Uploads.CompleteAsync(id, DigestAlgorithm.Sha256, digest, CancellationToken.None);

        Assert.True(completed.Matched);
        Assert.Equal(content, await ReadAsync(second, digest, 0, content.Length));
        Assert.Equal(LengthOfAnUploadWithNoData, await second.Uploads.LengthOfAsync(id));
    }

    [Fact]
    public async Task ReplicaThatSawNothing_VerifiesTheWholeUpload_AndRefusesAWrongDigest()
    {
        var writer = Replica();
        var closer = Replica();
        var content = RandomBytes(7 * MiB);
        var id = UploadIds.New();
        await writer.Uploads.CreateAsync(id, DigestAlgorithm.Sha256);
        await writer.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(content), 0, null, cancellationToken: CancellationToken.None);

        var tampered = (byte[])content.Clone();
        tampered[^1] ^= 1;
        Assert.False((await closer.Uploads.CompleteAsync(id, DigestAlgorithm.Sha256, DigestOf(tampered), CancellationToken.None)).Matched);
        Assert.Null(await closer.Blobs.FindAsync(DigestOf(tampered)));
        Assert.True((await closer.Uploads.CompleteAsync(id, DigestAlgorithm.Sha256, DigestOf(content), CancellationToken.None)).Matched);
    }

    [Fact]
    public async Task ChunkAtTheWrongOffset_IsRefused_AndChangesNothing()
    {
        var replica = Replica();
        var id = UploadIds.New();
        await replica.Uploads.CreateAsync(id, DigestAlgorithm.Sha256);
        await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(RandomBytes(1000)), 0, null, cancellationToken: CancellationToken.None);

        var refused = await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(RandomBytes(10)), 500, null, cancellationToken: CancellationToken.None);

        Assert.Equal(new AppendResult(AppendStatus.OffsetMismatch, 1000), refused);
        Assert.Equal(1000, await replica.Uploads.LengthOfAsync(id));
    }

    [Fact]
    public async Task ChunkShorterOrLongerThanAnnounced_IsNotKept()
    {
        var replica = Replica();
        var content = RandomBytes(6 * MiB);
        var id = UploadIds.New();
        await replica.Uploads.CreateAsync(id, DigestAlgorithm.Sha256);
        await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(content, 0, 1000), 0, null, cancellationToken: CancellationToken.None);

        var tooLong = await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(content, 1000, 6 * MiB - 1000), 1000, null, cancellationToken: CancellationToken.None, exactLength: 10);
        var tooShort = await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(content, 1000, 10), 1000, null, cancellationToken: CancellationToken.None, exactLength: 20);

        Assert.Equal(AppendStatus.LengthMismatch, tooLong.Status);
        Assert.Equal(AppendStatus.LengthMismatch, tooShort.Status);
        Assert.Equal(1000, await replica.Uploads.LengthOfAsync(id));
        var rest = await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(content, 1000, content.Length - 1000), 1000, null, cancellationToken: CancellationToken.None,
            exactLength: content.Length - 1000);
        Assert.Equal(new AppendResult(AppendStatus.Appended, content.Length), rest);
        Assert.True((await replica.Uploads.CompleteAsync(id, DigestAlgorithm.Sha256, DigestOf(content), CancellationToken.None)).Matched);
    }

    [Fact]
    public async Task ChunkOverTheSizeLimit_IsRefused()
    {
        var replica = Replica();
        var id = UploadIds.New();
        await replica.Uploads.CreateAsync(id, DigestAlgorithm.Sha256);
        var refused = await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(RandomBytes(5000)), 0, maxLength: 4096, cancellationToken: CancellationToken.None);
        Assert.Equal(AppendStatus.TooLarge, refused.Status);
        Assert.True(await replica.Uploads.LengthOfAsync(id) <= 4096);
    }

    [Fact]
    public async Task CancelledUpload_IsGone()
    {
        var replica = Replica();
        var id = UploadIds.New();
        await replica.Uploads.CreateAsync(id, DigestAlgorithm.Sha256);
        await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(RandomBytes(6 * MiB)), 0, null, cancellationToken: CancellationToken.None);

        await replica.Uploads.DeleteAsync(id);

        Assert.Equal(LengthOfAnUploadWithNoData, await replica.Uploads.LengthOfAsync(id));
        var appended = await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(RandomBytes(10)), 0, null, cancellationToken: CancellationToken.None);
        // An eager store refuses; a lazy one has only "no data" to go by (the registry refuses the request
        // before, from the metadata store), and the bytes start a new upload, not a continuation of the old one.
        Assert.Equal(LengthOfAnUploadWithNoData < 0 ? new AppendResult(AppendStatus.Unknown, -1) : new AppendResult(AppendStatus.Appended, 10), appended);
        await replica.Uploads.DeleteAsync(id);
    }

    [Fact]
    public async Task BodyBreakingOffMidway_KeepsWhatArrived_SoTheClientCanResume()
    {
        var replica = Replica();
        var content = RandomBytes(3 * MiB);
        var id = UploadIds.New();
        await replica.Uploads.CreateAsync(id, DigestAlgorithm.Sha256);

        await Assert.ThrowsAnyAsync<IOException>(() => replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256,
            new BreakingStream(content, breakAfter: MiB), 0, null, cancellationToken: CancellationToken.None));

        var kept = await replica.Uploads.LengthOfAsync(id);
        Assert.Equal(MiB, kept);
        await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(content, MiB, content.Length - MiB), kept, null, cancellationToken: CancellationToken.None);
        Assert.True((await replica.Uploads.CompleteAsync(id, DigestAlgorithm.Sha256, DigestOf(content), CancellationToken.None)).Matched);
    }

    [Fact]
    public async Task GarbageCollection_RemovesOnlyBlobsOlderThanTheCutoff()
    {
        var replica = Replica();
        var content = RandomBytes(1000);
        var digest = await UploadAsync(replica, content);
        Assert.Contains(digest, await ListAllAsync(replica));

        Assert.Equal(-1, await replica.Blobs.RemoveIfOlderThanAsync(digest, DateTimeOffset.UtcNow - TimeSpan.FromHours(1)));
        Assert.NotNull(await replica.Blobs.FindAsync(digest));
        Assert.Equal(content.Length, await replica.Blobs.RemoveIfOlderThanAsync(digest, DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5)));
        Assert.Null(await replica.Blobs.FindAsync(digest));
    }

    [Fact]
    public async Task GarbageCollection_RemovesABatch_ReportingOnlyWhatWasStoredAndOldEnough()
    {
        var replica = Replica();
        var contents = Enumerable.Range(0, 5).Select(i => RandomBytes(100 + i)).ToList();
        var stored = new List<Digest>();
        foreach (var content in contents) stored.Add(await UploadAsync(replica, content));
        var neverStored = DigestOf(RandomBytes(10));

        Assert.Empty(await replica.Blobs.RemoveIfOlderThanAsync([.. stored, neverStored], DateTimeOffset.UtcNow - TimeSpan.FromHours(1)));
        foreach (var digest in stored) Assert.NotNull(await replica.Blobs.FindAsync(digest));

        var freed = await replica.Blobs.RemoveIfOlderThanAsync([.. stored, neverStored], DateTimeOffset.UtcNow + TimeSpan.FromMinutes(5));

        Assert.Equal(stored.Zip(contents, (digest, content) => (digest, (long)content.Length)).OrderBy(pair => pair.digest.ToString()),
            freed.Select(pair => (pair.Key, pair.Value)).OrderBy(pair => pair.Key.ToString()));
        foreach (var digest in stored) Assert.Null(await replica.Blobs.FindAsync(digest));
    }

    [Fact]
    public async Task StoringAnExistingBlobAgain_RefreshesItsAge()
    {
        var replica = Replica();
        var content = RandomBytes(1000);
        var digest = await UploadAsync(replica, content);
        var before = (await replica.Blobs.FindAsync(digest))!.Value.StoredAt;
        await Task.Delay(1100); // object stores keep Last-Modified to the second
        await UploadAsync(replica, content);
        Assert.True((await replica.Blobs.FindAsync(digest))!.Value.StoredAt > before);
        Assert.Equal(content, await ReadAsync(replica, digest, 0, content.Length));
    }

    [Fact]
    public async Task QuarantinedBlob_IsNoLongerServed()
    {
        var replica = Replica();
        var digest = await UploadAsync(replica, RandomBytes(100));
        var where = await replica.Blobs.QuarantineAsync(digest);
        Assert.False(string.IsNullOrEmpty(where));
        Assert.Null(await replica.Blobs.FindAsync(digest));
    }

    protected static async Task<List<Digest>> ListAllAsync(StoreReplica replica)
    {
        var all = new List<Digest>();
        await foreach (var digest in replica.Blobs.EnumerateAllAsync()) all.Add(digest);
        return all;
    }

    /// <summary>A request body whose client disconnects after <c>breakAfter</c> bytes.</summary>
    private sealed class BreakingStream(byte[] content, int breakAfter) : MemoryStream(content, 0, breakAfter)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            return read > 0 ? read : throw new IOException("the client disconnected");
        }
    }
}
