using Berth.Oci.Digests;
using Berth.Storage.Uploads;

namespace Berth.Storage.Tests.Contract;

/// <summary>What object stores add to the contract: outages surface cleanly, and redirects serve the right bytes.</summary>
public abstract class ObjectStoreContract : BlobAndUploadStoreContract
{
    /// <summary>The object store stops answering (its process stopped or killed).</summary>
    protected abstract Task MakeUnreachableAsync();

    /// <summary>The object store is back, with what it had stored.</summary>
    protected abstract Task RestoreAsync();

    /// <summary>A replica whose blob store answers GETs with presigned URLs.</summary>
    protected abstract StoreReplica OpenRedirectingReplica();

    /// <summary>How many objects this test's storage holds under the uploads folder.</summary>
    protected abstract Task<int> CountUploadObjectsAsync();

    protected override long LengthOfAnUploadWithNoData => 0;

    /// <summary>
    /// Parts of a whole blob being streamed that the store still keeps without a blob (S3's incomplete
    /// multipart uploads); Azure drops uncommitted blocks by itself and has nothing to count.
    /// </summary>
    protected virtual Task<int> CountPendingPartsAsync() => Task.FromResult(0);

    [Fact]
    public async Task NewUpload_WritesNoObject_UntilItsFirstBytes_AndLeavesNoneOnceComplete()
    {
        var replica = Replica();
        var other = Replica();
        var id = UploadIds.New();
        await replica.Uploads.CreateAsync(id, DigestAlgorithm.Sha256);
        Assert.Equal(0, await CountUploadObjectsAsync());
        Assert.Equal(0, await other.Uploads.LengthOfAsync(id));

        var content = RandomBytes(1000);
        Assert.Equal(new AppendResult(AppendStatus.Appended, 1000),
            await other.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(content), 0, null, cancellationToken: CancellationToken.None));
        Assert.NotEqual(0, await CountUploadObjectsAsync());
        Assert.Equal(1000, await replica.Uploads.LengthOfAsync(id));

        Assert.True((await replica.Uploads.CompleteAsync(id, DigestAlgorithm.Sha256, DigestOf(content), CancellationToken.None)).Matched);
        Assert.Equal(content, await ReadAsync(other, DigestOf(content), 0, content.Length));
        Assert.Equal(0, await CountUploadObjectsAsync());
    }

    [Fact]
    public async Task UploadThatReceivedNothing_CompletesAsTheEmptyBlob_AndOnlyAsIt()
    {
        var replica = Replica();
        var id = UploadIds.New();
        await replica.Uploads.CreateAsync(id, DigestAlgorithm.Sha256);

        var wrong = await replica.Uploads.CompleteAsync(id, DigestAlgorithm.Sha256, DigestOf(RandomBytes(10)), CancellationToken.None);
        Assert.False(wrong.Matched);
        Assert.Equal(DigestOf([]), wrong.Actual);

        var empty = await replica.Uploads.CompleteAsync(id, DigestAlgorithm.Sha256, DigestOf([]), CancellationToken.None);
        Assert.True(empty.Matched);
        Assert.Equal(0, (await replica.Blobs.FindAsync(DigestOf([])))?.Length);
        Assert.Equal(0, await CountUploadObjectsAsync());
    }

    [Fact]
    public async Task StoreUnreachable_FailsCleanly_NothingBecomesVisible_AndTheUploadResumesAfterwards()
    {
        var replica = Replica();
        var content = RandomBytes(6 * MiB + 100);
        var id = UploadIds.New();
        await replica.Uploads.CreateAsync(id, DigestAlgorithm.Sha256);
        await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(content, 0, MiB), 0, null, cancellationToken: CancellationToken.None);
        var digest = DigestOf(content);

        await MakeUnreachableAsync();
        try
        {
            var append = await Assert.ThrowsAsync<StorageUnavailableException>(() => replica.Uploads.AppendAsync(
                id, DigestAlgorithm.Sha256, new MemoryStream(content, MiB, content.Length - MiB), MiB, null, cancellationToken: CancellationToken.None));
            await Assert.ThrowsAsync<StorageUnavailableException>(() => replica.Uploads.CompleteAsync(id, DigestAlgorithm.Sha256, digest, CancellationToken.None));
            await Assert.ThrowsAsync<StorageUnavailableException>(async () => await replica.Blobs.FindAsync(digest));
            Assert.DoesNotContain("secret", append.Message, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Berth.Testing.Backends.CephRadosGateway.SecretKey, append.ToString());
            Assert.DoesNotContain(Berth.Testing.Backends.Azurite.AccountKey, append.ToString());
        }
        finally
        {
            await RestoreAsync();
        }

        Assert.Null(await replica.Blobs.FindAsync(digest));
        Assert.Equal(MiB, await replica.Uploads.LengthOfAsync(id));
        await replica.Uploads.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(content, MiB, content.Length - MiB), MiB, null, cancellationToken: CancellationToken.None);
        Assert.True((await replica.Uploads.CompleteAsync(id, DigestAlgorithm.Sha256, digest, CancellationToken.None)).Matched);
        Assert.Equal(content, await ReadAsync(replica, digest, 0, content.Length));
    }

    [Fact]
    public async Task WholeBlob_IsStoredInOneStep_AndAWrongDigestStoresNothing()
    {
        var replica = Replica();
        var whole = Assert.IsAssignableFrom<IMonolithicUploadStore>(replica.Uploads);
        var content = RandomBytes(300_000);
        var digest = DigestOf(content);

        var wrong = DigestOf(RandomBytes(10));
        var refused = await whole.StoreWholeAsync(wrong, new MemoryStream(content), content.Length, DateTimeOffset.MaxValue, CancellationToken.None);
        Assert.False(refused.Matched);
        Assert.Equal(digest, refused.Actual);
        Assert.Null(await replica.Blobs.FindAsync(wrong));
        Assert.Null(await replica.Blobs.FindAsync(digest));

        var stored = await whole.StoreWholeAsync(digest, new MemoryStream(content), content.Length, DateTimeOffset.MaxValue, CancellationToken.None);
        Assert.True(stored.Matched);
        Assert.Equal(content, await ReadAsync(replica, digest, 0, content.Length));
        var sha512 = DigestOf(content, DigestAlgorithm.Sha512);
        Assert.True((await whole.StoreWholeAsync(sha512, new MemoryStream(content), content.Length, DateTimeOffset.MaxValue, CancellationToken.None)).Matched);
        Assert.Equal(content, await ReadAsync(replica, sha512, 0, content.Length));
    }

    // Each case once held in memory (one PutObject or Put Blob) and once streamed in parts: the store tests use
    // 5 MiB segments or blocks.
    [Theory]
    [InlineData(4096)]
    [InlineData(6 * MiB)]
    public async Task WholeBlob_StoredAgain_IsVerified_AndRewrittenOnlyWhenOlderThanTheCallerAllows(int length)
    {
        var replica = Replica();
        var whole = Assert.IsAssignableFrom<IMonolithicUploadStore>(replica.Uploads);
        var content = RandomBytes(length);
        var digest = DigestOf(content);
        await whole.StoreWholeAsync(digest, new MemoryStream(content), content.Length, DateTimeOffset.MaxValue, CancellationToken.None);
        var first = (await replica.Blobs.FindAsync(digest))!.Value.StoredAt;
        // The object store dates objects by its own clock, in whole seconds.
        await Task.Delay(1100);

        Assert.True((await whole.StoreWholeAsync(digest, new MemoryStream(content), content.Length, first - TimeSpan.FromSeconds(1), CancellationToken.None)).Matched);
        Assert.Equal(first, (await replica.Blobs.FindAsync(digest))!.Value.StoredAt);
        var tampered = (byte[])content.Clone();
        tampered[^1] ^= 1;
        Assert.False((await whole.StoreWholeAsync(digest, new MemoryStream(tampered), content.Length, first - TimeSpan.FromSeconds(1), CancellationToken.None)).Matched);

        Assert.True((await whole.StoreWholeAsync(digest, new MemoryStream(content), content.Length, first, CancellationToken.None)).Matched);
        Assert.True((await replica.Blobs.FindAsync(digest))!.Value.StoredAt > first);
        Assert.Equal(content, await ReadAsync(replica, digest, 0, content.Length));
    }

    [Theory]
    [InlineData(16, 64 * 1024)]
    [InlineData(4, 6 * MiB)]
    public async Task WholeBlob_StoredBySeveralRequestsAtOnce_IsStored_AndEveryRequestSucceeds(int requests, int length)
    {
        var replica = Replica();
        var whole = Assert.IsAssignableFrom<IMonolithicUploadStore>(replica.Uploads);
        var content = RandomBytes(length);
        var digest = DigestOf(content);

        var results = await Task.WhenAll(Enumerable.Range(0, requests).Select(_ => Task.Run(() =>
            whole.StoreWholeAsync(digest, new MemoryStream(content), content.Length, DateTimeOffset.MaxValue, CancellationToken.None))));

        Assert.All(results, result => Assert.True(result.Matched));
        Assert.Equal(content, await ReadAsync(replica, digest, 0, content.Length));
        Assert.Equal(0, await CountPendingPartsAsync());
    }

    [Theory]
    [InlineData(1000, 999)]
    [InlineData(11 * MiB, 10 * MiB)]
    public async Task WholeBlob_ShorterThanAnnounced_StoresNothing(int announced, int sent)
    {
        var replica = Replica();
        var whole = Assert.IsAssignableFrom<IMonolithicUploadStore>(replica.Uploads);
        var content = RandomBytes(announced);
        await Assert.ThrowsAsync<EndOfStreamException>(() =>
            whole.StoreWholeAsync(DigestOf(content), new MemoryStream(content, 0, sent), content.Length, DateTimeOffset.MaxValue, CancellationToken.None));
        Assert.Null(await replica.Blobs.FindAsync(DigestOf(content)));
        Assert.Equal(0, await CountPendingPartsAsync());
    }

    // The store tests use 5 MiB segments or blocks, so 12 MiB is a whole blob streamed in three parts.
    [Fact]
    public async Task WholeBlobLargerThanAPart_IsStreamedIntoItsKey_AndAWrongDigestLeavesNothing()
    {
        var replica = Replica();
        var whole = Assert.IsAssignableFrom<IMonolithicUploadStore>(replica.Uploads);
        var content = RandomBytes(12 * MiB + 100);
        var digest = DigestOf(content);

        var wrong = DigestOf(RandomBytes(10));
        var refused = await whole.StoreWholeAsync(wrong, new MemoryStream(content), content.Length, DateTimeOffset.MaxValue, CancellationToken.None);
        Assert.False(refused.Matched);
        Assert.Equal(digest, refused.Actual);
        Assert.Null(await replica.Blobs.FindAsync(wrong));
        Assert.Null(await replica.Blobs.FindAsync(digest));
        Assert.Equal(0, await CountPendingPartsAsync());

        var stored = await whole.StoreWholeAsync(digest, new MemoryStream(content), content.Length, DateTimeOffset.MaxValue, CancellationToken.None);
        Assert.True(stored.Matched);
        Assert.Equal(content, await ReadAsync(replica, digest, 0, content.Length));
        Assert.Equal(content[(6 * MiB - 10)..(6 * MiB + 10)], await ReadAsync(replica, digest, 6 * MiB - 10, 20));
        Assert.Equal(0, await CountPendingPartsAsync());
        Assert.Equal(0, await CountUploadObjectsAsync());
    }

    [Fact]
    public async Task Redirect_IsOffByDefault_AndWhenOnThePresignedUrlServesTheBlob()
    {
        var replica = Replica();
        var content = RandomBytes(70_000);
        var digest = await UploadAsync(replica, content);
        Assert.Null(await replica.Blobs.RedirectUrlAsync(digest));

        var redirecting = OpenRedirectingReplica();
        var url = await redirecting.Blobs.RedirectUrlAsync(digest);

        Assert.NotNull(url);
        using var http = new HttpClient();
        Assert.Equal(content, await http.GetByteArrayAsync(url));
        using var ranged = new HttpRequestMessage(HttpMethod.Get, url);
        ranged.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(10, 19);
        using var partial = await http.SendAsync(ranged);
        Assert.Equal(System.Net.HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(content[10..20], await partial.Content.ReadAsByteArrayAsync());
        redirecting.Dispose();
    }
}
