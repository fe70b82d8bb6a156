using System.Net;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.RegistryContent;
using static Berth.Server.Tests.Support.RepositoryNames;

namespace Berth.Server.Tests;

/// <summary>
/// distribution-spec "Mounting a blob from another repository" (end-11), and the rule of issue 2 that
/// blobs are stored once but visible only in repositories where they were pushed or mounted.
/// </summary>
public sealed class CrossMountTests(InProcessBerthFixture shared) : IClassFixture<InProcessBerthFixture>
{
    private readonly HttpClient _client = shared.Client;

    [Fact]
    public async Task MountWithFrom_Returns201AndLinksTheBlob()
    {
        var source = Repo() + "/source";
        var target = Repo() + "/target";
        var content = RandomBytes(512, seed: 30);
        var digest = await _client.PushBlobAsync(source, content);
        await _client.AssertBlobAbsentAsync(target, digest);

        using var response = await _client.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={Uri.EscapeDataString(source)}", null);
        // end-11: 201, and the legacy suite requires the Location path to be exactly /v2/<name>/blobs/<digest>.
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/v2/{target}/blobs/{digest}", SpecHttp.LocationOf(response));
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        await _client.AssertBlobAsync(target, digest, content);
        await _client.AssertBlobAsync(source, digest, content);
    }

    [Fact]
    public async Task MountWithoutFrom_MountsFromAnyRepositoryHoldingTheBlob()
    {
        var source = Repo() + "/source";
        var target = Repo() + "/target";
        var content = RandomBytes(512, seed: 31);
        var digest = await _client.PushBlobAsync(source, content);

        // end-11: "the registry MAY treat the from parameter as optional" (conformance "mount anonymous").
        using var response = await _client.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/v2/{target}/blobs/{digest}", SpecHttp.LocationOf(response));
        await _client.AssertBlobAsync(target, digest, content);
    }

    [Fact]
    public async Task MountSha512Blob_Returns201()
    {
        var source = Repo() + "/source";
        var target = Repo() + "/target";
        var content = RandomBytes(512, seed: 32);
        var digest = await _client.PushBlobAsync(source, content, Sha512(content));

        using var response = await _client.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={source}", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        await _client.AssertBlobAsync(target, digest, content);
    }

    [Fact]
    public async Task MountOfMissingBlob_Returns202Session()
    {
        var source = Repo() + "/source";
        var target = Repo() + "/target";
        var content = RandomBytes(512, seed: 33);
        var digest = Sha256(content);

        // end-11: a blob that cannot be mounted SHOULD give 202 and an ordinary upload session; a 201
        // here is the suite's "incorrectly succeeded".
        using var response = await _client.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={source}", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var location = SpecHttp.LocationOf(response);
        Assert.StartsWith($"/v2/{target}/blobs/uploads/", location);
        await _client.AssertBlobAbsentAsync(target, digest);

        // The fallback session works like any other.
        using var put = await _client.PutUploadAsync(location, digest, content);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await _client.AssertBlobAsync(target, digest, content);
    }

    [Fact]
    public async Task MountWithoutFromOfMissingBlob_Returns202Session()
    {
        var target = Repo();
        using var response = await _client.PostAsync($"/v2/{target}/blobs/uploads/?mount={Sha256("hello world"u8.ToArray())}", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.StartsWith($"/v2/{target}/blobs/uploads/", SpecHttp.LocationOf(response));
    }

    [Fact]
    public async Task MountFromRepositoryWithoutTheBlob_Returns202AndDoesNotLink()
    {
        var holder = Repo() + "/holder";
        var empty = Repo() + "/empty";
        var target = Repo() + "/target";
        var digest = await _client.PushBlobAsync(holder, RandomBytes(100, seed: 34));
        await _client.PushBlobAsync(empty, RandomBytes(100, seed: 35));

        // The blob is on disk, but "from" names a repository that cannot see it: mounting from there
        // would leak it, so this is the not-mountable case.
        using var response = await _client.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={empty}", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await _client.AssertBlobAbsentAsync(target, digest);
        await _client.AssertBlobAbsentAsync(empty, digest);
    }

    [Fact]
    public async Task MountWithMalformedDigest_Returns400DigestInvalid()
    {
        var target = Repo();
        using var response = await _client.PostAsync($"/v2/{target}/blobs/uploads/?mount=sha256:nothex&from={Repo()}/source", null);
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task PushedBlob_IsVisibleOnlyInItsRepository()
    {
        var owner = Repo() + "/owner";
        var stranger = Repo() + "/stranger";
        var content = RandomBytes(256, seed: 36);
        var digest = await _client.PushBlobAsync(owner, content);
        await _client.PushBlobAsync(stranger, RandomBytes(256, seed: 37));

        // Stored once on disk, but another repository only sees it after a push or a mount.
        using var get = await _client.GetAsync($"/v2/{stranger}/blobs/{digest}");
        await get.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        await _client.AssertBlobAbsentAsync(stranger, digest);
        await _client.AssertBlobAsync(owner, digest, content);
    }

    [Fact]
    public async Task SameBlobPushedToTwoRepositories_IsStoredOnce()
    {
        // The files of the embedded blob store are what is counted here.
        await using var berth = await InProcessBerth.StartAsync(backend: TestBackend.Embedded);
        var client = berth.Client;
        var first = Repo() + "/first";
        var second = Repo() + "/second";
        var content = RandomBytes(1024, seed: 40);
        var digest = await client.PushBlobAsync(first, content);
        // The second push writes the same content again; the store keeps one file and both links.
        await client.PushBlobInTwoStepsAsync(second, content, digest);

        await client.AssertBlobAsync(first, digest, content);
        await client.AssertBlobAsync(second, digest, content);
        var hex = digest["sha256:".Length..];
        var folder = Path.Combine(berth.DataDirectory, "blobs", "sha256", hex[..2]);
        Assert.Equal([hex], Directory.GetFiles(folder, hex + "*").Select(Path.GetFileName));
    }

    [Fact]
    public async Task DeleteInOneRepository_LeavesTheOtherIntact()
    {
        var first = Repo() + "/first";
        var second = Repo() + "/second";
        var content = RandomBytes(512, seed: 38);
        var digest = await _client.PushBlobAsync(first, content);
        using (var mount = await _client.PostAsync($"/v2/{second}/blobs/uploads/?mount={digest}&from={first}", null))
        {
            Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        }

        // The suite deletes the mounted blob in each repository and expects HEAD 404 right after, each
        // time: membership is per repository, and deleting one link must not remove the other.
        using (var delete = await _client.DeleteAsync($"/v2/{second}/blobs/{digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        await _client.AssertBlobAbsentAsync(second, digest);
        await _client.AssertBlobAsync(first, digest, content);

        using (var delete = await _client.DeleteAsync($"/v2/{first}/blobs/{digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        await _client.AssertBlobAbsentAsync(first, digest);
    }

    [Fact]
    public async Task MountAfterDelete_IsNoLongerPossibleFromThatRepository()
    {
        var source = Repo() + "/source";
        var target = Repo() + "/target";
        var digest = await _client.PushBlobAsync(source, RandomBytes(64, seed: 39));
        using (var delete = await _client.DeleteAsync($"/v2/{source}/blobs/{digest}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        // The bytes may still be on disk, but no repository can see them any more.
        using var response = await _client.PostAsync($"/v2/{target}/blobs/uploads/?mount={digest}&from={source}", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await _client.AssertBlobAbsentAsync(target, digest);
    }
}
