using Berth.Registry.Operations;
using Berth.Oci.Digests;
using Berth.Oci.Errors;
using Berth.Oci.Preconditions;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Registry.Tests.Operations;

/// <summary>Blob uploads (end-4a/4b, end-5, end-6, end-11, end-13, end-14) driven without HTTP.</summary>
public sealed class UploadOperationsTests
{
    private static readonly byte[] Content = RandomBytes(3000, seed: 1);
    private static readonly string ContentDigestText = Sha256(Content);

    [Fact]
    public async Task ChunkedUpload_InOrder_StoresTheBlob()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var uploads = temporary.Registry.Uploads;
        var session = (await uploads.StartAsync("app", null)).Value!.Session;

        var first = await uploads.AppendAsync("app", session.Id, new MemoryStream(Content[..1000]), "0-999", 1000, CancellationToken.None);
        Assert.Equal(1000, first.Value!.Length);
        Assert.Equal(1000, (await uploads.StatusAsync("app", session.Id)).Value!.Length);
        var done = await uploads.CompleteAsync("app", session.Id, ContentDigestText, new MemoryStream(Content[1000..]), "1000-2999", 2000, CancellationToken.None);

        Assert.True(done.IsSuccess, done.Error?.Message);
        Assert.Equal(ContentDigestText, done.Value.ToString());
        Assert.True((await temporary.Registry.Blobs.ReadAsync("app", ContentDigestText, RequestPreconditions.None)).IsSuccess);
        Assert.Equal(ErrorCode.BlobUploadUnknown, (await uploads.StatusAsync("app", session.Id)).Error?.Code); // the session is over
    }

    [Theory]
    [InlineData("5-999", 995L)] // does not start where the upload ends
    [InlineData("0-99", 1000L)] // disagrees with Content-Length
    [InlineData("nonsense", 1000L)]
    public async Task ChunkOutOfOrderOrMismatched_Is416_AndTheSessionStaysOpen(string contentRange, long contentLength)
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var uploads = temporary.Registry.Uploads;
        var session = (await uploads.StartAsync("app", null)).Value!.Session;

        var refused = await uploads.AppendAsync("app", session.Id, new MemoryStream(Content[..(int)contentLength]), contentRange, contentLength,
            CancellationToken.None);

        Assert.Equal(416, refused.Error?.Status);
        Assert.Equal(0, (await uploads.StatusAsync("app", session.Id)).Value!.Length);
    }

    [Fact]
    public async Task WrongDigest_IsRefused_AndNothingIsStored()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var claimed = Sha256(RandomBytes(10, seed: 2));

        var refused = await temporary.Registry.Uploads.PushMonolithicAsync("app", claimed, new MemoryStream(Content), Content.Length, CancellationToken.None);

        Assert.Equal(ErrorCode.DigestInvalid, refused.Error?.Code);
        Assert.False((await temporary.Registry.Blobs.ReadAsync("app", claimed, RequestPreconditions.None)).IsSuccess);
        Assert.False((await temporary.Registry.Blobs.ReadAsync("app", ContentDigestText, RequestPreconditions.None)).IsSuccess);
    }

    [Fact]
    public async Task Session_BelongsToItsRepository()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var session = (await temporary.Registry.Uploads.StartAsync("app", null)).Value!.Session;

        Assert.Equal(ErrorCode.BlobUploadUnknown, (await temporary.Registry.Uploads.StatusAsync("other", session.Id)).Error?.Code);
        Assert.Equal(ErrorCode.BlobUploadUnknown, (await temporary.Registry.Uploads.StatusAsync("app", "../../metadata.db")).Error?.Code);
    }

    [Fact]
    public async Task Cancel_EndsTheSession()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var uploads = temporary.Registry.Uploads;
        var session = (await uploads.StartAsync("app", null)).Value!.Session;

        Assert.True((await uploads.CancelAsync("app", session.Id)).IsSuccess);

        Assert.Equal(ErrorCode.BlobUploadUnknown, (await uploads.StatusAsync("app", session.Id)).Error?.Code);
        Assert.Equal(ErrorCode.BlobUploadUnknown, (await uploads.CancelAsync("app", session.Id)).Error?.Code);
    }

    [Fact]
    public async Task Mount_LinksABlobFromAnotherRepository_OrStartsASession()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var digest = await temporary.PushBlobAsync("source", Content);

        var mounted = await temporary.Registry.Uploads.MountAsync("target", digest.ToString(), MountSource.FromRepository("source"));
        Assert.Equal(digest, mounted.Value);
        Assert.True((await temporary.Registry.Blobs.ReadAsync("target", digest.ToString(), RequestPreconditions.None)).IsSuccess);

        // Unknown blob: no mount (the caller then opens an ordinary upload session).
        var missing = await temporary.Registry.Uploads.MountAsync("target", Sha256(RandomBytes(5, seed: 3)), MountSource.FromRepository("source"));
        Assert.True(missing.IsSuccess);
        Assert.Null(missing.Value);
    }

    [Fact]
    public async Task UnsupportedDigestAlgorithm_IsRefused()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        Assert.Equal(ErrorCode.DigestInvalid, (await temporary.Registry.Uploads.StartAsync("app", "md5")).Error?.Code);
        var sha512 = await temporary.Registry.Uploads.StartAsync("app", "sha512");
        Assert.Equal(DigestAlgorithm.Sha512, sha512.Value!.Session.Algorithm);
    }

    [Fact]
    public async Task IdleSessions_ExpireWithTheirData_OnTheRegistryClock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var temporary = await TemporaryRegistry.OpenAsync(options => options with { UploadIdleExpiry = TimeSpan.FromHours(1) }, time);
        var uploads = temporary.Registry.Uploads;
        var idle = (await uploads.StartAsync("app", null)).Value!.Session;
        var busy = (await uploads.StartAsync("app", null)).Value!.Session;

        time.Advance(TimeSpan.FromMinutes(45));
        await uploads.AppendAsync("app", busy.Id, new MemoryStream(Content[..10]), null, null, CancellationToken.None); // touched
        Assert.Equal(0, await uploads.ExpireIdleAsync());
        time.Advance(TimeSpan.FromMinutes(30));

        Assert.Equal(1, await uploads.ExpireIdleAsync());
        Assert.Equal(ErrorCode.BlobUploadUnknown, (await uploads.StatusAsync("app", idle.Id)).Error?.Code);
        Assert.Equal(10, (await uploads.StatusAsync("app", busy.Id)).Value!.Length);
        Assert.False(File.Exists(Path.Combine(temporary.Directory, "uploads", idle.Id)));
    }
}
