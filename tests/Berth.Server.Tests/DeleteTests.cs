using System.Net;
using System.Text.Json.Nodes;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.ManifestBuilder;
using static Berth.Server.Tests.Support.RegistryContent;
using static Berth.Server.Tests.Support.RepositoryNames;

namespace Berth.Server.Tests;

/// <summary>
/// distribution-spec "Deleting tags" / "Deleting Manifests" (end-9) and "Deleting Blobs" (end-10).
/// The conformance suites check each delete with a HEAD straight after: deletes are immediate.
/// </summary>
public sealed class DeleteTests(InProcessBerthFixture shared) : IClassFixture<InProcessBerthFixture>
{
    private readonly HttpClient _client = shared.Client;

    [Fact]
    public async Task DeleteTag_RemovesOnlyTheTag()
    {
        var name = Repo();
        var image = await _client.PushImageBlobsAsync(name, seed: 110);
        var digest = DigestOf(await _client.PushManifestAsync(name, image, tag: "tagtest0"));
        await _client.PushManifestAsync(name, image, tag: "keep");

        using (var delete = await _client.DeleteAsync($"/v2/{name}/manifests/tagtest0"))
        {
            // end-9: 202 on success.
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        using (var head = await _client.HeadAsync($"/v2/{name}/manifests/tagtest0"))
        {
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        }
        // Untag only: the manifest and its other tags stay.
        await _client.AssertManifestAsync(name, digest, Bytes(image), MediaTypes.OciManifest);
        await _client.AssertManifestAsync(name, "keep", Bytes(image), MediaTypes.OciManifest);
        Assert.Equal(["keep"], await _client.TagsAsync(name));
    }

    [Fact]
    public async Task DeleteManifestByDigest_RemovesItAndEveryTagOnIt()
    {
        var name = Repo();
        var image = await _client.PushImageBlobsAsync(name, seed: 111);
        var digest = DigestOf(await _client.PushManifestAsync(name, image, tag: "one"));
        await _client.PushManifestAsync(name, image, tag: "two");
        var other = await _client.PushImageAsync(name, "other", seed: 112);

        using (var delete = await _client.DeleteAsync($"/v2/{name}/manifests/{digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        // "the registry MUST ... the digest and any tag pointing to it → 404".
        foreach (var reference in new[] { digest, "one", "two" })
        {
            using var head = await _client.HeadAsync($"/v2/{name}/manifests/{reference}");
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        }
        using (var get = await _client.GetAsync($"/v2/{name}/manifests/{digest}"))
        {
            await get.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        }
        Assert.Equal(["other"], await _client.TagsAsync(name));
        using var kept = await _client.HeadAsync($"/v2/{name}/manifests/{other}");
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
    }

    [Fact]
    public async Task DeleteLastManifest_LeavesAnEmptyTagList()
    {
        // Legacy "content management": after the deletes, tags/list must still answer 200, with fewer tags.
        var name = Repo();
        var digest = await _client.PushImageAsync(name, "tagtest0", seed: 113);
        using (var delete = await _client.DeleteAsync($"/v2/{name}/manifests/tagtest0")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        using (var delete = await _client.DeleteAsync($"/v2/{name}/manifests/{digest}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        Assert.Empty(await _client.TagsAsync(name));
    }

    [Fact]
    public async Task DeleteManifest_KeepsItsBlobsAndOtherManifestsSharingThem()
    {
        // The legacy suite deletes one manifest and then expects another that shares its config to
        // still be deletable (202, not 404).
        var name = Repo();
        var image = await _client.PushImageBlobsAsync(name, seed: 114);
        var config = (JsonObject)image["config"]!;
        var layer = (JsonObject)image["layers"]![0]!;
        var emptyLayer = ImageManifest(config, [], mediaType: null);
        var first = DigestOf(await _client.PushManifestAsync(name, image, tag: "test0"));
        var second = DigestOf(await _client.PushManifestAsync(name, Bytes(emptyLayer), MediaTypes.OciManifest, tag: "emptylayer"));

        using (var delete = await _client.DeleteAsync($"/v2/{name}/manifests/{first}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        using (var head = await _client.HeadAsync($"/v2/{name}/blobs/{DigestOf(config)}")) Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        using (var head = await _client.HeadAsync($"/v2/{name}/blobs/{DigestOf(layer)}")) Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        using (var delete = await _client.DeleteAsync($"/v2/{name}/manifests/{second}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task IndexAndChildren_DeleteInEitherOrder(bool parentFirst)
    {
        // The new suite deletes parents first; neither direction may block the other.
        var name = Repo() + (parentFirst ? "/parent-first" : "/child-first");
        var child = await _client.PushManifestAsync(name, await _client.PushImageBlobsAsync(name, seed: 115));
        var index = await _client.PushManifestAsync(name, Index([child]), tag: "index");
        var order = parentFirst ? new[] { index, child } : [child, index];

        foreach (var descriptor in order)
        {
            using var delete = await _client.DeleteAsync($"/v2/{name}/manifests/{DigestOf(descriptor)}");
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
            using var head = await _client.HeadAsync($"/v2/{name}/manifests/{DigestOf(descriptor)}");
            Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        }
    }

    [Fact]
    public async Task DeleteMissingManifestOrTag_Returns404()
    {
        var name = Repo();
        var digest = await _client.PushImageAsync(name, "v1", seed: 116);
        using (var delete = await _client.DeleteAsync($"/v2/{name}/manifests/{digest}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

        // end-9 failure: the second delete finds nothing.
        using (var again = await _client.DeleteAsync($"/v2/{name}/manifests/{digest}"))
        {
            await again.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        }
        using (var tag = await _client.DeleteAsync($"/v2/{name}/manifests/v1"))
        {
            await tag.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        }
        using var unknownRepository = await _client.DeleteAsync($"/v2/{Repo()}/never-pushed/manifests/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, unknownRepository.StatusCode);
    }

    [Fact]
    public async Task DeleteInAnotherRepository_Returns404AndKeepsTheOriginal()
    {
        var owner = Repo() + "/owner";
        var stranger = Repo() + "/stranger";
        var digest = await _client.PushImageAsync(owner, "v1", seed: 117);
        await _client.PushImageAsync(stranger, "v1", seed: 118);

        using (var delete = await _client.DeleteAsync($"/v2/{stranger}/manifests/{digest}"))
        {
            await delete.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        }
        using var head = await _client.HeadAsync($"/v2/{owner}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
    }

    [Fact]
    public async Task DeleteWithMalformedDigest_Returns400AndDeletesNothing()
    {
        var name = Repo();
        var digest = await _client.PushImageAsync(name, "v1", seed: 119);
        using (var manifest = await _client.DeleteAsync($"/v2/{name}/manifests/sha256:nothex"))
        {
            await manifest.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }
        using (var blob = await _client.DeleteAsync($"/v2/{name}/blobs/sha256:nothex"))
        {
            await blob.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }
        using var head = await _client.HeadAsync($"/v2/{name}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DeleteBlob_Returns202AndIsImmediatelyGone(bool sha512)
    {
        var name = Repo() + (sha512 ? "/sha512" : "/sha256");
        var content = RandomBytes(512, seed: 120);
        var digest = await _client.PushBlobAsync(name, content, sha512 ? Sha512(content) : Sha256(content));
        var keep = await _client.PushBlobAsync(name, RandomBytes(512, seed: 121));

        using (var delete = await _client.DeleteAsync($"/v2/{name}/blobs/{digest}"))
        {
            // end-10: 202.
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        await _client.AssertBlobAbsentAsync(name, digest);
        using (var get = await _client.GetAsync($"/v2/{name}/blobs/{digest}"))
        {
            await get.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        }
        // end-10 failure: "not found → MUST 404".
        using (var again = await _client.DeleteAsync($"/v2/{name}/blobs/{digest}"))
        {
            await again.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        }
        using var kept = await _client.HeadAsync($"/v2/{name}/blobs/{keep}");
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
    }

    [Fact]
    public async Task DeletedBlob_CanBePushedAgain()
    {
        var name = Repo();
        var content = RandomBytes(300, seed: 122);
        var digest = await _client.PushBlobAsync(name, content);
        using (var delete = await _client.DeleteAsync($"/v2/{name}/blobs/{digest}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

        await _client.PushBlobInTwoStepsAsync(name, content, digest);
        await _client.AssertBlobAsync(name, digest, content);
    }
}
