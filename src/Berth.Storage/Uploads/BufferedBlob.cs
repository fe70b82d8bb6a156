using Berth.Oci.Digests;

namespace Berth.Storage.Uploads;

/// <summary>
/// A blob that arrived whole in one request, held in a buffer with the digest of exactly those
/// bytes: what an <see cref="IMonolithicUploadStore"/> compares with the claimed digest before it writes.
/// </summary>
public sealed class BufferedBlob : IDisposable
{
    private byte[]? _buffer;

    private BufferedBlob(byte[] buffer, int length, Digest digest)
    {
        _buffer = buffer;
        Length = length;
        Digest = digest;
    }

    public int Length { get; }

    /// <summary>The digest of the bytes received, in the algorithm of the digest the client claimed.</summary>
    public Digest Digest { get; }

    /// <summary>The buffer, of which the first <see cref="Length"/> bytes are the blob.</summary>
    public byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(BufferedBlob));

    public ReadOnlyMemory<byte> Content => Buffer.AsMemory(0, Length);

    /// <summary>Reads exactly <paramref name="length"/> bytes (a shorter body throws) and hashes them.</summary>
    public static async Task<BufferedBlob> ReadAsync(Stream body, long length, DigestAlgorithm algorithm, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Array.MaxLength);
        var buffer = SegmentBuffers.Rent((int)length);
        try
        {
            await body.ReadExactlyAsync(buffer.AsMemory(0, (int)length), cancellationToken);
            return new BufferedBlob(buffer, (int)length, Digest.Compute(algorithm, buffer.AsSpan(0, (int)length)));
        }
        catch
        {
            SegmentBuffers.Return(buffer);
            throw;
        }
    }

    /// <summary>
    /// What an <see cref="IMonolithicUploadStore"/> does with a whole blob: read and verify it, then
    /// <paramref name="write"/> it unless <paramref name="blobs"/> already holds a copy stored after
    /// <paramref name="keepIfStoredAfter"/>.
    /// </summary>
    public static async Task<CompleteResult> VerifyThenStoreAsync(Stream body, long length, Digest expected, Blobs.IBlobStore blobs,
        DateTimeOffset keepIfStoredAfter, Func<BufferedBlob, Task> write, CancellationToken cancellationToken)
    {
        using var blob = await ReadAsync(body, length, expected.Algorithm, cancellationToken);
        if (blob.Digest != expected) return new CompleteResult(false, blob.Digest, length);
        if (await blobs.FindAsync(expected, cancellationToken) is not { } existing || existing.StoredAt <= keepIfStoredAfter)
        {
            await write(blob);
        }
        return new CompleteResult(true, expected, length);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer) SegmentBuffers.Return(buffer);
    }
}
