using Berth.Storage.Blobs;
using Berth.Storage.Uploads;

namespace Berth.Storage.Tests.Contract;

/// <summary>The embedded default: blobs/ and uploads/ in a data folder; a second "replica" is a second process's view of the folder.</summary>
public sealed class FileSystemStoreTests : BlobAndUploadStoreContract
{
    private DataDirectory? _directory;

    protected override Task CreateStorageAsync()
    {
        _directory = new DataDirectory(Directory.CreateTempSubdirectory("berth-storage-").FullName);
        _directory.EnsureCreated();
        return Task.CompletedTask;
    }

    protected override StoreReplica OpenReplica()
    {
        var blobs = new FileSystemBlobStore(_directory!);
        return new StoreReplica(blobs, new UploadArea(_directory!, blobs));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_directory is not null) Directory.Delete(_directory.Root, recursive: true);
    }

    [Fact]
    public async Task LocalBlob_ExposesItsFile_ForZeroCopySending()
    {
        var replica = Replica();
        var content = RandomBytes(1000);
        var digest = await UploadAsync(replica, content);
        var found = await replica.Blobs.FindAsync(digest);
        Assert.NotNull(found!.Value.LocalPath);
        Assert.Equal(content, await File.ReadAllBytesAsync(found.Value.LocalPath!));
    }
}
