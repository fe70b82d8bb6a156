using Berth.Storage;
using Berth.Storage.Blobs;
using Berth.Storage.Uploads;

namespace Berth.Registry;

/// <summary>
/// Where blob bytes live: a blob store and the upload store that fills it (the two must share storage), and
/// what they hold open (an object store's client), which the registry disposes with itself.
/// </summary>
public sealed record BlobStorage(IBlobStore Blobs, IUploadStore Uploads, IDisposable? Connection = null) : IDisposable
{
    /// <summary>The embedded default: blobs/ and uploads/ in the data folder.</summary>
    public static BlobStorage OnDisk(DataDirectory directory, TimeProvider? time = null)
    {
        var blobs = new FileSystemBlobStore(directory, time);
        return new BlobStorage(blobs, new UploadArea(directory, blobs));
    }

    public void Dispose() => Connection?.Dispose();
}
