using System.Buffers;

namespace Berth.Storage.Uploads;

/// <summary>
/// Buffers for upload segments, staged blocks and whole small blobs, which reach 16 MiB. ArrayPool.Shared
/// keeps returned arrays per thread and per core for the life of the process, so pooling buffers that
/// large pinned tens of MiB after a handful of uploads (68 MiB after the hostile-input run on Azure).
/// Large buffers are therefore allocated per request and freed by the next collection; small ones,
/// which cost little to keep, still come from the pool.
/// </summary>
public static class SegmentBuffers
{
    /// <summary>Buffers up to this size are pooled.</summary>
    public const int PooledLimit = 1 << 20;

    /// <summary>A buffer of at least <paramref name="length"/> bytes (exactly that many when it is not pooled).</summary>
    public static byte[] Rent(int length) =>
        length <= PooledLimit ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);

    public static void Return(byte[] buffer)
    {
        if (buffer.Length <= PooledLimit) ArrayPool<byte>.Shared.Return(buffer);
    }
}
