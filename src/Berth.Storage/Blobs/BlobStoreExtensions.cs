using Berth.Oci.Digests;

namespace Berth.Storage.Blobs;

public static class BlobStoreExtensions
{
    /// <summary>
    /// Presence check for the metadata store's synchronous in-transaction callbacks. The filesystem store
    /// answers synchronously; a networked store blocks the calling thread for one HEAD request.
    /// </summary>
    public static bool Contains(this IBlobStore store, Digest digest)
    {
        var found = store.FindAsync(digest);
        return (found.IsCompletedSuccessfully ? found.Result : found.AsTask().GetAwaiter().GetResult()) is not null;
    }
}
