using System.Net;
using System.Text.Json.Nodes;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.ManifestBuilder;
using static Berth.Server.Tests.Support.RegistryContent;
using static Berth.Server.Tests.Support.RepositoryNames;

namespace Berth.Server.Tests;

/// <summary>distribution-spec "Pulling manifests" (end-3): GET and HEAD by tag and by digest.</summary>
public sealed class ManifestPullTests(InProcessBerthFixture shared) : IClassFixture<InProcessBerthFixture>
{
    private readonly HttpClient _client = shared.Client;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Get_ReturnsExactBytesTypeLengthAndDigest(bool byTag)
    {
        var name = Repo() + (byTag ? "/tag" : "/digest");
        var body = Bytes(await _client.PushImageBlobsAsync(name, seed: 90));
        var digest = Sha256(body);
        await _client.PushManifestAsync(name, body, MediaTypes.OciManifest, tag: "v1");

        // The new suite's Accept headers: index and image manifest.
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{name}/manifests/{(byTag ? "v1" : digest)}");
        request.Headers.Accept.ParseAdd(MediaTypes.OciIndex);
        request.Headers.Accept.ParseAdd(MediaTypes.OciManifest);
        using var response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Exactly the pushed Content-Type, without parameters such as "; charset=utf-8".
        Assert.Equal(MediaTypes.OciManifest, response.Content.Headers.GetValues("Content-Type").Single());
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Head_ReturnsHeadersWithoutBody(bool byTag)
    {
        var name = Repo() + (byTag ? "/tag" : "/digest");
        var index = Index([await _client.PushManifestAsync(name, await _client.PushImageBlobsAsync(name, seed: 91))]);
        var descriptor = await _client.PushManifestAsync(name, index, tag: "index");
        var body = Bytes(index);

        using var response = await _client.HeadAsync($"/v2/{name}/manifests/{(byTag ? "index" : DigestOf(descriptor))}");
        // end-3 HEAD: 200 with Docker-Content-Digest, the real Content-Length and Content-Type, no body.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MediaTypes.OciIndex, response.Content.Headers.GetValues("Content-Type").Single());
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Equal(DigestOf(descriptor), response.Header("Docker-Content-Digest"));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Get_IgnoresAnAcceptHeaderThatOmitsTheType()
    {
        // The legacy suite only ever accepts image manifests; a registry that served 404/406 for an
        // index would break clients that never list every type. The stored type is served.
        var name = Repo();
        var index = Index([await _client.PushManifestAsync(name, await _client.PushImageBlobsAsync(name, seed: 92))]);
        await _client.PushManifestAsync(name, index, tag: "index");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{name}/manifests/index");
        request.Headers.Accept.ParseAdd(MediaTypes.OciManifest);
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MediaTypes.OciIndex, response.Content.Headers.GetValues("Content-Type").Single());
        Assert.Equal(Bytes(index), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task GzipAcceptEncoding_IsNotAppliedToManifestsOrBlobs()
    {
        // Go's client asks for gzip and, when it gets it, drops Content-Length, which every conformance
        // length check then fails: responses under /v2/ are sent as stored.
        var name = Repo();
        var body = Bytes(await _client.PushImageBlobsAsync(name, seed: 101));
        await _client.PushManifestAsync(name, body, MediaTypes.OciManifest, tag: "v1");
        var blob = RandomBytes(8192, seed: 102);
        var blobDigest = await _client.PushBlobAsync(name, blob);

        foreach (var (path, expected) in new[] { ($"/v2/{name}/manifests/v1", body), ($"/v2/{name}/blobs/{blobDigest}", blob) })
        {
            using var response = await _client.SendAsync(HttpMethod.Get, path, [("Accept-Encoding", "gzip")]);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Empty(response.Content.Headers.ContentEncoding);
            Assert.Equal(expected.Length, response.Content.Headers.ContentLength);
            Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task InvalidTagName_Returns404()
    {
        var name = Repo();
        await _client.PushImageAsync(name, "v1", seed: 93);
        // The legacy suite's ".INVALID_MANIFEST_NAME": exactly 404 on GET and HEAD, not 400.
        using (var get = await _client.GetAsync($"/v2/{name}/manifests/.INVALID_MANIFEST_NAME"))
        {
            await get.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        }
        using var head = await _client.HeadAsync($"/v2/{name}/manifests/.INVALID_MANIFEST_NAME");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task MissingTagOrDigest_Returns404ManifestUnknown()
    {
        var name = Repo();
        await _client.PushImageAsync(name, "v1", seed: 94);
        using (var tag = await _client.GetAsync($"/v2/{name}/manifests/missing-abcdefghijklmnopqrst"))
        {
            await tag.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        }
        using var digest = await _client.GetAsync($"/v2/{name}/manifests/{Sha256(RandomBytes(1024, seed: 95))}");
        await digest.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task MalformedDigest_Returns400WithSpecErrorBody()
    {
        var name = Repo();
        await _client.PushImageAsync(name, "v1", seed: 96);
        // Legacy suite "error codes": 400 or 404; a 400 must carry the spec's JSON error body.
        using var response = await _client.GetAsync($"/v2/{name}/manifests/sha256:totallywrong");
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task UnknownRepository_Returns404NameUnknown()
    {
        using var response = await _client.GetAsync($"/v2/{Repo()}/never-pushed/manifests/latest");
        await response.AssertErrorAsync(HttpStatusCode.NotFound, "NAME_UNKNOWN");
    }

    [Fact]
    public async Task ManifestOfAnotherRepository_Returns404()
    {
        var owner = Repo() + "/owner";
        var stranger = Repo() + "/stranger";
        var digest = await _client.PushImageAsync(owner, "v1", seed: 97);
        await _client.PushImageAsync(stranger, "v1", seed: 98);

        using var response = await _client.GetAsync($"/v2/{stranger}/manifests/{digest}");
        await response.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
    }

    [Fact]
    public async Task Tags_AreCaseSensitive()
    {
        var name = Repo();
        await _client.PushImageAsync(name, "Latest", seed: 99);
        await _client.AssertManifestAbsentAsync(name, "latest");
        using var response = await _client.GetAsync($"/v2/{name}/manifests/Latest");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task SameBytesInTwoRepositories_AreServedFromEach()
    {
        // Manifest bytes are stored once, but each repository has its own copy of the relation.
        var first = Repo() + "/first";
        var second = Repo() + "/second";
        var image = await _client.PushImageBlobsAsync(first, seed: 100);
        foreach (var blob in new[] { (JsonObject)image["config"]!, (JsonObject)image["layers"]![0]! })
        {
            using var mount = await _client.PostAsync($"/v2/{second}/blobs/uploads/?mount={DigestOf(blob)}&from={first}", null);
            Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        }
        await _client.PushManifestAsync(first, image, tag: "a");
        await _client.PushManifestAsync(second, image, tag: "b");
        await _client.AssertManifestAsync(first, "a", Bytes(image), MediaTypes.OciManifest);
        await _client.AssertManifestAsync(second, "b", Bytes(image), MediaTypes.OciManifest);
        await _client.AssertManifestAbsentAsync(first, "b");
    }
}
