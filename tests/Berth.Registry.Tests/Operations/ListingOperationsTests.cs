using System.Text.Json.Nodes;
using Berth.Oci.Errors;
using Berth.Oci.Manifests;
using Berth.Oci.Preconditions;
using Berth.Registry.Operations;

namespace Berth.Registry.Tests.Operations;

/// <summary>Tag lists (end-8), the catalog and referrers (end-12), paginated, without HTTP.</summary>
public sealed class ListingOperationsTests
{
    [Fact]
    public async Task Tags_ArePagedInOrder_WithTheNextLast()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        foreach (var tag in new[] { "c", "a", "b" }) await temporary.PushImageAsync("app", tag, RandomBytes(10));

        var whole = temporary.Registry.Listings.Tags("app", null, null).Value!;
        Assert.Equal(["a", "b", "c"], whole.Names);
        Assert.Null(whole.NextLast);

        var first = temporary.Registry.Listings.Tags("app", "2", null).Value!;
        Assert.Equal(["a", "b"], first.Names);
        Assert.Equal("b", first.NextLast);
        var rest = temporary.Registry.Listings.Tags("app", "2", first.NextLast).Value!;
        Assert.Equal(["c"], rest.Names);
        Assert.Null(rest.NextLast);
    }

    [Fact]
    public async Task WholeTagList_FollowsEveryChange()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        await temporary.PushImageAsync("app", "v1", RandomBytes(10));
        Assert.Equal(["v1"], temporary.Registry.Listings.Tags("app", null, null).Value!.Names);

        await temporary.PushImageAsync("app", "v2", RandomBytes(10));
        Assert.Equal(["v1", "v2"], temporary.Registry.Listings.Tags("app", null, null).Value!.Names);
        await temporary.Registry.Manifests.DeleteAsync("app", "v1", RequestPreconditions.None, null);
        Assert.Equal(["v2"], temporary.Registry.Listings.Tags("app", null, null).Value!.Names);
    }

    [Fact]
    public async Task UnknownRepositoryOrBadPageSize_IsAnError()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        Assert.Equal(ErrorCode.NameUnknown, temporary.Registry.Listings.Tags("nothing/here", null, null).Error?.Code);
        await temporary.PushImageAsync("app", "v1", RandomBytes(10));
        Assert.Equal(400, temporary.Registry.Listings.Tags("app", "-1", null).Error?.Status);
        Assert.Equal(400, temporary.Registry.Listings.Catalog("abc", null).Error?.Status);
        Assert.Empty(temporary.Registry.Listings.Tags("app", "0", null).Value!.Names);
    }

    [Fact]
    public async Task Catalog_ListsOnlyVisibleRepositories_AndFillsEachPage()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        foreach (var name in new[] { "a/one", "b/secret", "c/two", "d/three" }) await temporary.PushImageAsync(name, "v1", RandomBytes(10));

        Assert.Equal(["a/one", "b/secret", "c/two", "d/three"], temporary.Registry.Listings.Catalog(null, null).Value!.Names);
        var visible = temporary.Registry.Listings.Catalog("2", null, name => !name.StartsWith("b/", StringComparison.Ordinal)).Value!;
        Assert.Equal(["a/one", "c/two"], visible.Names);
        Assert.Equal("c/two", visible.NextLast);
    }

    [Fact]
    public async Task Referrers_ListManifestsWhoseSubjectIsTheDigest_FilteredByArtifactType()
    {
        using var temporary = await TemporaryRegistry.OpenAsync();
        var subject = await temporary.PushImageAsync("app", "v1", RandomBytes(10));
        var subjectDescriptor = Descriptor(MediaTypes.OciManifest, subject.ToString(), 100);
        foreach (var artifactType in new[] { "application/vnd.example.sbom", "application/vnd.example.signature" })
        {
            var artifact = Bytes(Artifact(artifactType, subjectDescriptor, []));
            await temporary.PushBlobAsync("app", EmptyJson);
            Assert.True((await temporary.Registry.Manifests.PutAsync(new ManifestPut
            {
                Name = "app",
                Reference = Sha256(artifact),
                ContentType = MediaTypes.OciManifest,
                Body = new MemoryStream(artifact),
            }, CancellationToken.None)).IsSuccess);
        }

        var all = temporary.Registry.Listings.Referrers("app", subject.ToString(), null, null, RequestPreconditions.None).Value!;
        var filtered = temporary.Registry.Listings.Referrers("app", subject.ToString(), "application/vnd.example.sbom", null, RequestPreconditions.None).Value!;

        Assert.Equal(2, Manifests(all.Body).Count);
        Assert.False(all.FilterApplied);
        var only = Assert.Single(Manifests(filtered.Body));
        Assert.Equal("application/vnd.example.sbom", (string?)only!["artifactType"]);
        Assert.True(filtered.FilterApplied);
        Assert.Equal(Sha256(all.Body), all.BodyDigest.ToString());
    }

    private static JsonArray Manifests(byte[] index) => JsonNode.Parse(index)!["manifests"]!.AsArray();
}
