using Berth.Storage.Metadata;
using static Berth.Storage.Tests.StoredContent;

namespace Berth.Storage.Tests;

public abstract partial class MetadataStoreContract
{
    [Fact]
    public async Task Export_reads_back_a_repositorys_blobs_manifests_and_tags()
    {
        var blobs = new[] { BlobDigest("b"), BlobDigest("a"), BlobDigest("c") };
        await LinkAsync("team/app", blobs);
        await LinkAsync("other/app", BlobDigest("elsewhere"));
        var first = Manifest("team/app", "first", tags: ["v1", "latest"], blobs: [blobs[0]]);
        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(first, WriteGuard.None)).Status);
        var untagged = Manifest("team/app", "untagged", blobs: [blobs[1]]);
        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(untagged, WriteGuard.None)).Status);
        var index = Manifest("team/app", "index", tags: ["multi"], children: [first.Digest, untagged.Digest]);
        Assert.Equal(WriteStatus.Done, (await Store.PutManifestAsync(index, WriteGuard.None)).Status);

        Assert.Equal(blobs.OrderBy(d => d.ToString(), StringComparer.Ordinal), Store.LinkedBlobs("team/app"));
        // Oldest push first, so the children of an index come before it when copied in this order.
        var manifests = Store.ManifestDigests("team/app");
        Assert.Equal(3, manifests.Count);
        Assert.True(manifests.ToList().IndexOf(index.Digest) > manifests.ToList().IndexOf(first.Digest));
        Assert.True(manifests.ToList().IndexOf(index.Digest) > manifests.ToList().IndexOf(untagged.Digest));
        Assert.Equal([("latest", first.Digest), ("multi", index.Digest), ("v1", first.Digest)], Store.Tags("team/app"));

        Assert.Empty(Store.LinkedBlobs("ghost"));
        Assert.Empty(Store.ManifestDigests("ghost"));
        Assert.Empty(Store.Tags("ghost"));
    }
}
