using System.Text;
using Berth.Oci.Errors;
using Berth.Oci.Manifests;
using Berth.Oci.Preconditions;
using Berth.Registry.Operations;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Registry.Tests.Operations;

/// <summary>Manifest pushes, reads and deletes (end-3, end-7, end-9) with preconditions, without HTTP.</summary>
public sealed class ManifestOperationsTests
{
    private static async Task<TestImage> PushBlobsAsync(TemporaryRegistry temporary, string name, int seed)
    {
        var image = TestImage.FromSeed(seed);
        foreach (var (_, content) in image.Blobs) await temporary.PushBlobAsync(name, content);
        return image;
    }

    private static Task<Berth.Registry.Results.Result<ManifestWritten>> PutAsync(TemporaryRegistry temporary, string name, string reference,
        byte[] body, RequestPreconditions? conditions = null, IReadOnlyList<string>? queryTags = null) =>
        temporary.Registry.Manifests.PutAsync(new ManifestPut
        {
            Name = name,
            Reference = reference,
            ContentType = MediaTypes.OciManifest,
            Body = new MemoryStream(body),
            Preconditions = conditions ?? RequestPreconditions.None,
            QueryTags = queryTags ?? [],
        }, CancellationToken.None);

    private static RequestPreconditions Write(string? ifMatch = null, string? ifNoneMatch = null) =>
        RequestPreconditions.ForWrite(ifMatch is null ? [] : [ifMatch], ifNoneMatch is null ? [] : [ifNoneMatch], null, out _)!;

    [Fact]
    public async Task PushByTag_ThenReadByTagAndDigest_ReturnsTheExactBytes()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var image = await PushBlobsAsync(temporary, "app", 1);

        var written = await PutAsync(temporary, "app", "v1", image.Manifest);
        Assert.Equal(image.Digest, written.Value!.Digest.ToString());
        Assert.Equal(["v1"], written.Value.Tags);

        var byTag = temporary.Registry.Manifests.Read("app", "v1", RequestPreconditions.None).Value!;
        Assert.Equal(image.Manifest, byTag.Manifest.Content);
        Assert.True(byTag.ByTag);
        Assert.NotNull(byTag.LastModified);
        var byDigest = temporary.Registry.Manifests.Read("app", image.Digest, RequestPreconditions.None).Value!;
        Assert.Equal(MediaTypes.OciManifest, byDigest.Manifest.MediaType);
        Assert.False(byDigest.ByTag);
    }

    [Fact]
    public async Task ManifestWhoseBlobsAreMissing_IsRefused()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var refused = await PutAsync(temporary, "app", "v1", TestImage.FromSeed(2).Manifest);
        Assert.Equal(ErrorCode.ManifestBlobUnknown, refused.Error?.Code);
        // Nothing was created, not even the repository.
        Assert.Equal(ErrorCode.NameUnknown, temporary.Registry.Manifests.Read("app", "v1", RequestPreconditions.None).Error?.Code);
    }

    [Fact]
    public async Task PushByDigest_MustMatchTheContent_AndMayCarryQueryTags()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var image = await PushBlobsAsync(temporary, "app", 3);

        var mismatch = await PutAsync(temporary, "app", Sha256(Encoding.UTF8.GetBytes("other")), image.Manifest);
        Assert.Equal(ErrorCode.DigestInvalid, mismatch.Error?.Code);

        var written = await PutAsync(temporary, "app", image.Digest, image.Manifest, queryTags: ["a", "b", "a"]);
        Assert.Equal(["a", "b"], written.Value!.Tags);
        Assert.True(temporary.Registry.Manifests.Read("app", "b", RequestPreconditions.None).IsSuccess);

        var tagWithTags = await PutAsync(temporary, "app", "c", image.Manifest, queryTags: ["d"]);
        Assert.Equal(ErrorCode.Unsupported, tagWithTags.Error?.Code);
    }

    [Fact]
    public async Task ConditionalPut_MovesTheTagOnlyFromTheExpectedManifest()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var first = await PushBlobsAsync(temporary, "app", 4);
        var second = await PushBlobsAsync(temporary, "app", 5);
        Assert.True((await PutAsync(temporary, "app", "v1", first.Manifest, Write(ifNoneMatch: "*"))).IsSuccess);

        // Creating again with If-None-Match: * is a lost update avoided.
        Assert.Equal(412, (await PutAsync(temporary, "app", "v1", second.Manifest, Write(ifNoneMatch: "*"))).Error?.Status);
        // A stale If-Match is refused; the current one moves the tag.
        Assert.Equal(412, (await PutAsync(temporary, "app", "v1", second.Manifest, Write(ifMatch: $"\"{second.Digest}\""))).Error?.Status);
        Assert.True((await PutAsync(temporary, "app", "v1", second.Manifest, Write(ifMatch: $"\"{first.Digest}\""))).IsSuccess);

        Assert.Equal(second.Manifest, temporary.Registry.Manifests.Read("app", "v1", RequestPreconditions.None).Value!.Manifest.Content);
    }

    [Fact]
    public async Task DeleteByTag_KeepsTheManifest_DeleteByDigest_RemovesItAndItsTags()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var image = await PushBlobsAsync(temporary, "app", 6);
        await PutAsync(temporary, "app", "v1", image.Manifest);
        await PutAsync(temporary, "app", "v2", image.Manifest);

        Assert.True((await temporary.Registry.Manifests.DeleteAsync("app", "v1", RequestPreconditions.None, actor: null)).IsSuccess);
        Assert.False(temporary.Registry.Manifests.Read("app", "v1", RequestPreconditions.None).IsSuccess);
        Assert.True(temporary.Registry.Manifests.Read("app", image.Digest, RequestPreconditions.None).IsSuccess);

        Assert.True((await temporary.Registry.Manifests.DeleteAsync("app", image.Digest, RequestPreconditions.None, actor: null)).IsSuccess);
        Assert.False(temporary.Registry.Manifests.Read("app", image.Digest, RequestPreconditions.None).IsSuccess);
        Assert.False(temporary.Registry.Manifests.Read("app", "v2", RequestPreconditions.None).IsSuccess);
        Assert.Equal(ErrorCode.ManifestUnknown,
            (await temporary.Registry.Manifests.DeleteAsync("app", "v2", RequestPreconditions.None, actor: null)).Error?.Code);
    }

    [Fact]
    public async Task TagHistory_RecordsEachMove_AtTheRegistryClock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        using var temporary = await TemporaryRegistry.OpenAsync(time: time);
        var first = await PushBlobsAsync(temporary, "app", 7);
        var second = await PushBlobsAsync(temporary, "app", 8);
        await PutAsync(temporary, "app", "v1", first.Manifest);
        time.Advance(TimeSpan.FromMinutes(5));
        await temporary.Registry.Manifests.PutAsync(new ManifestPut
        {
            Name = "app",
            Reference = "v1",
            ContentType = MediaTypes.OciManifest,
            Body = new MemoryStream(second.Manifest),
            Actor = "alice",
        }, CancellationToken.None);

        var history = temporary.Registry.Manifests.History("app", "v1", 10);

        var latest = history[0];
        Assert.Equal(first.Digest, latest.OldDigest?.ToString());
        Assert.Equal(second.Digest, latest.NewDigest?.ToString());
        Assert.Equal("alice", latest.Actor);
        Assert.Equal(time.GetUtcNow(), latest.At);
        Assert.Equal(time.GetUtcNow(), temporary.Registry.Manifests.Read("app", "v1", RequestPreconditions.None).Value!.LastModified);
        Assert.Equal(2, history.Count);
    }

    [Theory]
    [InlineData("bad tag!", ErrorCode.ManifestInvalid)]
    [InlineData("sha256:abc", ErrorCode.DigestInvalid)]
    public async Task InvalidReference_IsRefused(string reference, ErrorCode code)
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        Assert.Equal(code, (await PutAsync(temporary, "app", reference, "{}"u8.ToArray())).Error?.Code);
    }
}
