using Berth.Storage;
using Berth.Storage.Blobs;
using Berth.Storage.Uploads;

namespace Berth.Registry;

/// <summary>Where blob bytes live: a blob store and the upload store that fills it. The two must share storage.</summary>
public sealed record BlobStorage(IBlobStore Blobs, IUploadStore Uploads)
{
    /// <summary>The embedded default: blobs/ and uploads/ in the data folder.</summary>
    public static BlobStorage OnDisk(DataDirectory directory)
    {
        var blobs = new FileSystemBlobStore(directory);
        return new BlobStorage(blobs, new UploadArea(directory, blobs));
    }
}
