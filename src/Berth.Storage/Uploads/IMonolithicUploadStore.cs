using Berth.Oci.Digests;

namespace Berth.Storage.Uploads;

/// <summary>
/// An upload store that can take a blob arriving whole in one request (distribution-spec end-4b, the
/// POST with <c>?digest=</c>) without a session. A single request cannot be resumed, so nothing of it
/// needs to outlive the request; on an object store that saves the session's state and segment objects
/// (about eight round trips per blob instead of one). The local upload area has no such path: a local
/// session file costs next to nothing.
/// <para>
/// Such a store writes nothing for an upload until its first bytes arrive, so a session that received
/// none (POST, then a PUT with the whole body) has nothing to delete once the blob is stored.
/// </para>
/// </summary>
public interface IMonolithicUploadStore
{
    /// <summary>The largest body <see cref="StoreWholeAsync"/> takes (it is held in memory); larger ones go through a session.</summary>
    long MonolithicLimit { get; }

    /// <summary>
    /// Reads exactly <paramref name="length"/> bytes, verifies that they have digest <paramref name="expected"/>
    /// and, only then, stores them under it. On mismatch nothing is written anywhere. The bytes are always
    /// read and verified, since a push proves possession of the content it links; but an identical blob
    /// stored after <paramref name="keepIfStoredAfter"/> is left as it is: rewriting it would only renew an
    /// age that is young enough already, and object stores serve reads racing an overwrite of their key
    /// badly (Ceph RGW answered such a GET with 500 under garbage collection with pushes).
    /// </summary>
    Task<CompleteResult> StoreWholeAsync(Digest expected, Stream body, long length, DateTimeOffset keepIfStoredAfter,
        CancellationToken cancellationToken);
}
