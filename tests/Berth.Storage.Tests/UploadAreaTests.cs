using System.Text;
using Berth.Oci.Digests;
using Berth.Storage;
using Berth.Storage.Blobs;
using Berth.Storage.Uploads;

namespace Berth.Storage.Tests;

/// <summary>Upload files with their running hash: appends, offsets, limits, resumption and completion into the blob store.</summary>
public sealed class UploadAreaTests : IDisposable
{
    private readonly TemporaryFolder _folder = new("berth-upload-area");
    private readonly DataDirectory _directory;
    private readonly FileSystemBlobStore _blobs;
    private readonly UploadArea _area;

    public UploadAreaTests()
    {
        _directory = new DataDirectory(_folder.Sub("data"));
        _directory.EnsureCreated();
        _blobs = new FileSystemBlobStore(_directory);
        _area = new UploadArea(_directory, _blobs);
    }

    public void Dispose() => _folder.Dispose();

    private static readonly byte[] Content = Encoding.ASCII.GetBytes("the quick brown fox jumps over the lazy dog");

    private static Digest Sha256Of(byte[] content) => Digest.Parse(Sha256(content));

    private async Task<string> NewUploadAsync()
    {
        var id = UploadIds.New();
        await _area.CreateAsync(id, DigestAlgorithm.Sha256);
        return id;
    }

    private Task<AppendResult> AppendAsync(string id, byte[] bytes, long? offset = null, long? maxLength = null, long? exactLength = null) =>
        _area.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(bytes), offset, maxLength, exactLength, CancellationToken.None);

    [Theory]
    [InlineData("../../etc/passwd", false)]
    [InlineData("0123456789abcdef0123456789abcdef", true)]
    [InlineData("01234567-89ab-cdef-0123-456789abcdef", false)] // only the server's own form
    [InlineData("", false)]
    public void OnlyServerGeneratedIds_AreValid(string id, bool valid)
    {
        Assert.Equal(valid, UploadIds.IsValid(id));
    }

    [Fact]
    public async Task Chunks_AppendInOrder_AndCompleteIntoTheBlobStore()
    {
        var id = await NewUploadAsync();
        Assert.Equal(new AppendResult(AppendStatus.Appended, 10), await AppendAsync(id, Content[..10], offset: 0));
        Assert.Equal(new AppendResult(AppendStatus.Appended, Content.Length), await AppendAsync(id, Content[10..], offset: 10));

        var completed = await _area.CompleteAsync(id, DigestAlgorithm.Sha256, Sha256Of(Content), CancellationToken.None);

        Assert.True(completed.Matched);
        Assert.Equal(Content.Length, completed.Length);
        Assert.Equal(-1, await _area.LengthOfAsync(id));
        Assert.Equal(Content, File.ReadAllBytes(_blobs.PathOf(Sha256Of(Content))));
    }

    [Fact]
    public async Task ChunkAtTheWrongOffset_IsRefused_AndNothingIsWritten()
    {
        var id = await NewUploadAsync();
        await AppendAsync(id, Content[..10]);

        Assert.Equal(new AppendResult(AppendStatus.OffsetMismatch, 10), await AppendAsync(id, Content[10..], offset: 5));
        Assert.Equal(10, await _area.LengthOfAsync(id));
    }

    [Fact]
    public async Task UploadOverTheLimit_IsRefused()
    {
        var id = await NewUploadAsync();
        Assert.Equal(AppendStatus.TooLarge, (await AppendAsync(id, Content, maxLength: 10)).Status);
        Assert.True(await _area.LengthOfAsync(id) <= 10);
    }

    [Fact]
    public async Task ChunkOfAnotherLengthThanAnnounced_IsNotKeptAtAll()
    {
        var id = await NewUploadAsync();
        await AppendAsync(id, Content[..10]);

        Assert.Equal(new AppendResult(AppendStatus.LengthMismatch, 10), await AppendAsync(id, Content[10..], exactLength: 5));
        Assert.Equal(new AppendResult(AppendStatus.LengthMismatch, 10), await AppendAsync(id, Content[10..20], exactLength: 50));
        Assert.Equal(10, await _area.LengthOfAsync(id));

        // The hash was rebuilt from the file, so the upload still completes correctly.
        await AppendAsync(id, Content[10..], exactLength: Content.Length - 10);
        Assert.True((await _area.CompleteAsync(id, DigestAlgorithm.Sha256, Sha256Of(Content), CancellationToken.None)).Matched);
    }

    [Fact]
    public async Task WrongDigest_LeavesTheUploadAsItWas()
    {
        var id = await NewUploadAsync();
        await AppendAsync(id, Content);

        var wrong = await _area.CompleteAsync(id, DigestAlgorithm.Sha256, Sha256Of([1, 2, 3]), CancellationToken.None);

        Assert.False(wrong.Matched);
        Assert.Equal(Sha256Of(Content), wrong.Actual);
        Assert.Equal(Content.Length, await _area.LengthOfAsync(id));
        Assert.False(File.Exists(_blobs.PathOf(Sha256Of([1, 2, 3]))));
        Assert.True((await _area.CompleteAsync(id, DigestAlgorithm.Sha256, Sha256Of(Content), CancellationToken.None)).Matched);
    }

    [Fact]
    public async Task AfterARestart_TheUploadResumes()
    {
        var id = await NewUploadAsync();
        await AppendAsync(id, Content[..20]);

        // A new area on the same folder knows no hash state: it rebuilds it from the file.
        var restarted = new UploadArea(_directory, _blobs);
        await restarted.AppendAsync(id, DigestAlgorithm.Sha256, new MemoryStream(Content[20..]), 20, null, null, CancellationToken.None);

        Assert.True((await restarted.CompleteAsync(id, DigestAlgorithm.Sha256, Sha256Of(Content), CancellationToken.None)).Matched);
    }

    [Fact]
    public async Task ClosingWithAnotherAlgorithm_HashesTheBytesAgain()
    {
        var id = await NewUploadAsync();
        await AppendAsync(id, Content);
        var sha512 = Digest.Parse(Sha512(Content));

        var completed = await _area.CompleteAsync(id, DigestAlgorithm.Sha256, sha512, CancellationToken.None);

        Assert.True(completed.Matched);
        Assert.Equal(Content, File.ReadAllBytes(_blobs.PathOf(sha512)));
    }

    [Fact]
    public async Task BodyBreakingOffMidway_KeepsWhatArrived()
    {
        var id = await NewUploadAsync();
        var broken = new BreakingStream(Content[..15]);

        await Assert.ThrowsAsync<IOException>(() =>
            _area.AppendAsync(id, DigestAlgorithm.Sha256, broken, 0, null, null, CancellationToken.None));

        Assert.Equal(15, await _area.LengthOfAsync(id));
        await AppendAsync(id, Content[15..], offset: 15);
        Assert.True((await _area.CompleteAsync(id, DigestAlgorithm.Sha256, Sha256Of(Content), CancellationToken.None)).Matched);
    }

    [Fact]
    public async Task Delete_RemovesTheData_AndIsIdempotent()
    {
        var id = await NewUploadAsync();
        await _area.DeleteAsync(id);
        await _area.DeleteAsync(id);
        Assert.Equal(-1, await _area.LengthOfAsync(id));
        Assert.Equal(-1, await _area.LengthOfAsync(id));
    }

    /// <summary>A request body whose connection drops after some bytes.</summary>
    private sealed class BreakingStream(byte[] prefix) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position == prefix.Length) throw new IOException("connection reset by peer");
            var read = Math.Min(count, prefix.Length - _position);
            Array.Copy(prefix, _position, buffer, offset, read);
            _position += read;
            return read;
        }
    }
}
