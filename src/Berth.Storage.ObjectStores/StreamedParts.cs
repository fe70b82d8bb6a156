using Berth.Oci.Digests;
using Berth.Storage.Uploads;

namespace Berth.Storage.ObjectStores;

/// <summary>
/// A request body of announced length read in parts and hashed on the way, for stores that write a whole
/// blob straight into its own key (an S3 multipart upload, Azure staged blocks) and make it visible only
/// once the digest matched. Two buffers: one part is read from the client while the previous one is sent.
/// </summary>
internal static class StreamedParts
{
    /// <summary>
    /// Reads exactly <paramref name="length"/> bytes (a shorter body throws <see cref="EndOfStreamException"/>)
    /// into <paramref name="hasher"/>, handing part 1, 2, … to <paramref name="send"/>. Returns when every
    /// part was sent; a failed send fails the call once the part in flight has finished.
    /// </summary>
    public static async Task SendAsync(Stream body, long length, int partBytes, DigestHasher hasher,
        Func<int, ArraySegment<byte>, Task> send, CancellationToken cancellationToken)
    {
        byte[][] buffers = [SegmentBuffers.Rent(partBytes), SegmentBuffers.Rent(partBytes)];
        Task? sending = null;
        try
        {
            var part = 0;
            for (long remaining = length; remaining > 0;)
            {
                // This buffer was last used by the part before the one in flight, which has been awaited.
                var buffer = buffers[part % 2];
                var size = (int)Math.Min(partBytes, remaining);
                await body.ReadExactlyAsync(buffer.AsMemory(0, size), cancellationToken);
                hasher.Append(buffer.AsSpan(0, size));
                remaining -= size;
                part++;
                if (sending is not null) await sending;
                sending = send(part, new ArraySegment<byte>(buffer, 0, size));
            }
            if (sending is not null) await sending;
            sending = null;
        }
        finally
        {
            // A buffer goes back only when no send can still be reading it.
            if (sending is not null) await Task.WhenAny(sending);
            SegmentBuffers.Return(buffers[0]);
            SegmentBuffers.Return(buffers[1]);
        }
    }

    /// <summary>Reads and hashes exactly <paramref name="length"/> bytes, storing nothing.</summary>
    public static async Task HashAsync(Stream body, long length, DigestHasher hasher, CancellationToken cancellationToken)
    {
        var buffer = SegmentBuffers.Rent(SegmentBuffers.PooledLimit);
        try
        {
            for (long remaining = length; remaining > 0;)
            {
                var size = (int)Math.Min(buffer.Length, remaining);
                await body.ReadExactlyAsync(buffer.AsMemory(0, size), cancellationToken);
                hasher.Append(buffer.AsSpan(0, size));
                remaining -= size;
            }
        }
        finally
        {
            SegmentBuffers.Return(buffer);
        }
    }
}
