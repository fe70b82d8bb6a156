using System.Net;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.RegistryContent;
using static Berth.Server.Tests.Support.RepositoryNames;

namespace Berth.Server.Tests;

/// <summary>distribution-spec "Pulling blobs" (end-2): GET and HEAD by digest.</summary>
public sealed class BlobPullTests(InProcessBerthFixture shared) : IClassFixture<InProcessBerthFixture>
{
    private readonly HttpClient _client = shared.Client;

    [Fact]
    public async Task Get_ReturnsExactBytesWithDigestAndLength()
    {
        var name = Repo();
        var content = RandomBytes(4096, seed: 20);
        var digest = await _client.PushBlobAsync(name, content);

        using var response = await _client.GetAsync($"/v2/{name}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // end-2: Docker-Content-Digest MUST be present and match the body (spec PR #556).
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        Assert.Equal(4096, response.Content.Headers.ContentLength);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(content, body);
        Assert.Equal(digest, Sha256(body));
    }

    [Fact]
    public async Task Head_ReturnsLengthAndDigestWithoutBody()
    {
        var name = Repo();
        var content = RandomBytes(1000, seed: 21);
        var digest = await _client.PushBlobAsync(name, content);

        using var response = await _client.HeadAsync($"/v2/{name}/blobs/{digest}");
        // end-2 HEAD: 200, Docker-Content-Digest and the real Content-Length, and no body.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        Assert.Equal(1000, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Sha512Blob_IsServedUnderItsSha512Digest()
    {
        var name = Repo();
        var content = RandomBytes(777, seed: 22);
        var digest = await _client.PushBlobAsync(name, content, Sha512(content));
        Assert.StartsWith("sha512:", digest);
        await _client.AssertBlobAsync(name, digest, content);
    }

    [Fact]
    public async Task MissingBlob_Returns404BlobUnknown()
    {
        var name = Repo();
        await _client.PushBlobAsync(name, RandomBytes(10, seed: 23));
        var missing = Sha256("hello world"u8.ToArray());

        // end-2 failure: 404; the legacy suite probes exactly sha256("hello world").
        using (var get = await _client.GetAsync($"/v2/{name}/blobs/{missing}"))
        {
            await get.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
        }
        using var head = await _client.HeadAsync($"/v2/{name}/blobs/{missing}");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task BlobInUnknownRepository_Returns404()
    {
        var content = RandomBytes(10, seed: 24);
        var digest = await _client.PushBlobAsync(Repo() + "/known", content);

        using var response = await _client.GetAsync($"/v2/{Repo()}/unknown/blobs/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ManifestDigest_IsNotABlob()
    {
        // Manifests and blobs are separate namespaces: a manifest is not served from /blobs/.
        var name = Repo();
        var digest = await _client.PushImageAsync(name, "v1", seed: 25);
        using var response = await _client.GetAsync($"/v2/{name}/blobs/{digest}");
        await response.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UNKNOWN");
    }
}
