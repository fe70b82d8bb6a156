using Berth.Oci.Digests;

namespace Berth.Cache;

/// <summary>
/// The response of the request that made the cache fetch a blob: it receives the bytes while they are being
/// stored, instead of waiting for the whole blob. Only a plain GET (no range, no condition) gets one.
/// </summary>
public interface IFirstClientSink
{
    /// <summary>True once the status and headers are sent: the response can no longer become an error.</summary>
    bool Started { get; }

    /// <summary>Sends the 200 and the headers of a blob of <paramref name="length"/> bytes.</summary>
    Task StartAsync(Digest digest, long length);

    Task WriteAsync(ReadOnlyMemory<byte> bytes);

    /// <summary>The bytes sent did not become the cache's copy (wrong digest, upstream broke off): break the response off.</summary>
    void Abort();
}
