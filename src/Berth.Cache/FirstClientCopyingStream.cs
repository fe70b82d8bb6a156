using System.Buffers;

namespace Berth.Cache;

/// <summary>
/// Reads an upstream blob for the cache's upload and hands the bytes to the first client on the way, one chunk
/// behind: the last chunk is held back until <see cref="ReleaseHeldAsync"/>, which the cache calls only once the
/// stored copy has been verified and linked. A client can therefore never complete its download of bytes that
/// do not match the digest, nor finish before the cache holds the blob. The client is a passenger: if it goes
/// away it is dropped, and the fetch goes on for the cache and the requests waiting on it.
/// </summary>
internal sealed class FirstClientCopyingStream(Stream upstream, IFirstClientSink client) : Stream
{
    private byte[]? _held;
    private int _heldLength;
    private bool _clientGone;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await upstream.ReadAsync(buffer, cancellationToken);
        if (read == 0 || _clientGone) return read;
        await ReleaseHeldAsync();
        if (_held is null || _held.Length < read)
        {
            if (_held is not null) ArrayPool<byte>.Shared.Return(_held);
            _held = ArrayPool<byte>.Shared.Rent(read);
        }
        buffer[..read].CopyTo(_held);
        _heldLength = read;
        return read;
    }

    /// <summary>Sends the chunk held back (the end of the blob once the upload has read everything).</summary>
    public async Task ReleaseHeldAsync()
    {
        if (_clientGone || _held is null || _heldLength == 0) return;
        try
        {
            await client.WriteAsync(_held.AsMemory(0, _heldLength));
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException or ObjectDisposedException)
        {
            _clientGone = true;
        }
        _heldLength = 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _held, null) is { } held) ArrayPool<byte>.Shared.Return(held);
        base.Dispose(disposing);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
