using Berth.Oci.Errors;
using Berth.Oci.Preconditions;

namespace Berth.Registry.Tests.Operations;

/// <summary>Blob reads and deletes (end-2, end-10) with their preconditions, without HTTP.</summary>
public sealed class BlobOperationsTests
{
    private static RequestPreconditions IfMatch(string entityTag) =>
        RequestPreconditions.ForWrite([entityTag], [], null, out _)!;

    [Fact]
    public async Task Blob_IsVisibleOnlyInTheRepositoriesItWasPushedTo()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var content = RandomBytes(100);
        var digest = await temporary.PushBlobAsync("one", content);

        var read = (await temporary.Registry.Blobs.ReadAsync("one", digest.ToString(), RequestPreconditions.None));
        Assert.True(read.IsSuccess);
        Assert.Equal(digest, read.Value.Digest);
        Assert.Equal(content.Length, read.Value.Blob.Length);
        Assert.Equal(PreconditionOutcome.Proceed, read.Value.Outcome);

        var elsewhere = (await temporary.Registry.Blobs.ReadAsync("two", digest.ToString(), RequestPreconditions.None));
        Assert.Equal(ErrorCode.BlobUnknown, elsewhere.Error?.Code);
    }

    [Theory]
    [InlineData("Bad/Name", "sha256:0000000000000000000000000000000000000000000000000000000000000000", ErrorCode.NameInvalid)]
    [InlineData("app", "sha256:short", ErrorCode.DigestInvalid)]
    [InlineData("app", "md5:d41d8cd98f00b204e9800998ecf8427e", ErrorCode.DigestInvalid)]
    public async Task InvalidNameOrDigest_IsRefusedBeforeStorage(string name, string digest, ErrorCode code)
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var read = (await temporary.Registry.Blobs.ReadAsync(name, digest, RequestPreconditions.None));
        Assert.Equal(code, read.Error?.Code);
        Assert.Equal(400, read.Error?.Status);
    }

    [Fact]
    public async Task Delete_UnlinksFromOneRepositoryOnly()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var content = RandomBytes(100);
        var digest = await temporary.PushBlobAsync("one", content);
        await temporary.PushBlobAsync("two", content);

        Assert.True((await temporary.Registry.Blobs.DeleteAsync("one", digest.ToString(), RequestPreconditions.None)).IsSuccess);

        Assert.False((await temporary.Registry.Blobs.ReadAsync("one", digest.ToString(), RequestPreconditions.None)).IsSuccess);
        Assert.True((await temporary.Registry.Blobs.ReadAsync("two", digest.ToString(), RequestPreconditions.None)).IsSuccess);
        var again = await temporary.Registry.Blobs.DeleteAsync("one", digest.ToString(), RequestPreconditions.None);
        Assert.Equal(ErrorCode.BlobUnknown, again.Error?.Code);
    }

    [Fact]
    public async Task DeleteWithAStaleIfMatch_Is412_AndDeletesNothing()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var digest = await temporary.PushBlobAsync("app", RandomBytes(100));
        var other = Sha256RandomDigest();

        var refused = await temporary.Registry.Blobs.DeleteAsync("app", digest.ToString(), IfMatch($"\"{other}\""));

        Assert.Equal(412, refused.Error?.Status);
        Assert.True((await temporary.Registry.Blobs.ReadAsync("app", digest.ToString(), RequestPreconditions.None)).IsSuccess);
        Assert.True((await temporary.Registry.Blobs.DeleteAsync("app", digest.ToString(), IfMatch($"\"{digest}\""))).IsSuccess);
    }

    private static string Sha256RandomDigest() => Sha256(RandomBytes(8));
}
