using Berth.Oci.Preconditions;

namespace Berth.Registry.Tests;

public sealed class IntegrityCheckerTests
{
    [Fact]
    public async Task HealthyStore_ReportsNoProblems()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        await temporary.PushImageAsync("app", "v1", RandomBytes(100));

        var report = await temporary.Registry.IntegrityChecker.CheckAsync(quarantine: false, CancellationToken.None);

        Assert.True(report.IsHealthy);
        Assert.Equal(2, report.BlobsChecked);
    }

    [Fact]
    public async Task CorruptedBlob_IsReported_AndQuarantinedWithoutDeletion()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var layer = RandomBytes(100);
        await temporary.PushImageAsync("app", "v1", layer);
        var layerDigest = Oci.Digests.Digest.Compute(Oci.Digests.DigestAlgorithm.Sha256, layer);
        var path = Path.Combine(temporary.Directory, "blobs", "sha256", layerDigest.Encoded[..2], layerDigest.Encoded);
        var damaged = File.ReadAllBytes(path);
        damaged[0] ^= 0xFF;
        File.WriteAllBytes(path, damaged);

        var report = await temporary.Registry.IntegrityChecker.CheckAsync(quarantine: true, CancellationToken.None);

        Assert.Equal([layerDigest.ToString()], report.DamagedBlobs);
        var moved = Assert.Single(report.Quarantined);
        Assert.Equal(damaged, File.ReadAllBytes(moved));
        Assert.False(File.Exists(path));
        // No longer served under a digest it does not match; and the reference check now notices the gap.
        Assert.False((await temporary.Registry.Blobs.ReadAsync("app", layerDigest.ToString(), RequestPreconditions.None)).IsSuccess);
        var after = await temporary.Registry.IntegrityChecker.CheckAsync(quarantine: false, CancellationToken.None);
        Assert.Contains($"app@{layerDigest}", after.MissingBlobs);
    }
}
