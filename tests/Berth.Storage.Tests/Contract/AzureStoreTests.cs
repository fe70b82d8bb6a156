using Berth.Storage.Configuration;
using Berth.Storage.ObjectStores.Azure;
using Berth.Testing.Backends;

namespace Berth.Storage.Tests.Contract;

/// <summary>The contract on Azure Blob, against a private Azurite; each test gets its own container.</summary>
public sealed class AzureStoreTests(AzuriteFixture azurite) : ObjectStoreContract, IClassFixture<AzuriteFixture>
{
    private string _container = "";

    // Blocks as small as the S3 tests' segments, so a few MiB of test data span several blocks.
    private AzureStorageOptions Options => azurite.Azurite.StorageOptions(_container, keyPrefix: "registry") with { BlockBytes = 5 << 20 };

    protected override async Task CreateStorageAsync()
    {
        _container = "berth-" + Guid.NewGuid().ToString("N")[..12];
        await new AzureContainer(Options).EnsureExistsAsync();
    }

    protected override StoreReplica OpenReplica() => Open(Options);

    protected override StoreReplica OpenRedirectingReplica() => Open(Options with { Redirect = true });

    // A graceful stop: killed, Azurite itself loses what it had not yet saved to its folder.
    protected override Task MakeUnreachableAsync() => azurite.Azurite.StopAsync();

    protected override Task RestoreAsync() => azurite.Azurite.RestartAsync();

    protected override async Task<int> CountUploadObjectsAsync()
    {
        var container = new AzureContainer(Options);
        var count = 0;
        await foreach (var _ in container.Client.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, container.Keys.Prefix + "uploads/", CancellationToken.None)) count++;
        return count;
    }

    private static StoreReplica Open(AzureStorageOptions options)
    {
        var container = new AzureContainer(options);
        var blobs = new AzureBlobStore(container);
        return new StoreReplica(blobs, new AzureUploadStore(container, blobs));
    }

    [Fact]
    public void Options_NeverPrintTheKey()
    {
        var printed = (Options with { AccountKey = Azurite.AccountKey, SasToken = "sv=2024&sig=abc" }).ToString();
        Assert.DoesNotContain(Azurite.AccountKey, printed);
        Assert.DoesNotContain("sig=abc", printed);
        Assert.Contains(_container, printed);
    }
}
