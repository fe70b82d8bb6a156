using System.Net;
using System.Text;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.ManifestBuilder;
using static Berth.Server.Tests.Support.RegistryContent;
using static Berth.Server.Tests.Support.RepositoryNames;

namespace Berth.Server.Tests;

/// <summary>
/// The grammars of distribution-spec "Pulling manifests" (&lt;name&gt;, &lt;reference&gt;), digests
/// (image-spec descriptor.md), path-traversal attempts, and the error body of "Error Codes".
/// </summary>
public sealed class NameAndInputValidationTests(InProcessBerthFixture shared) : IClassFixture<InProcessBerthFixture>
{
    private static readonly string EmptyDigest = Sha256([]);

    private readonly HttpClient _client = shared.Client;

    [Theory]
    [InlineData("a/b/c/d/e/f/g/h/i/j")]
    [InlineData("org/manifests/app")]
    [InlineData("org/blobs/app")]
    [InlineData("org/tags/app")]
    [InlineData("org/app/manifests")]
    [InlineData("org/app/blobs")]
    [InlineData("org/app/tags")]
    [InlineData("tags/list")]
    [InlineData("x/blobs/uploads")]
    [InlineData("team/referrers/manifests/blobs/tags/list/uploads")]
    public async Task NamesWithManySegmentsAndRouteWords_WorkEverywhere(string name)
    {
        // Repository names may have any number of segments, including ones that spell route words;
        // every endpoint must still find the right repository.
        var chunked = RandomBytes(300, seed: 190);
        var location = await _client.StartUploadAsync(name);
        Assert.StartsWith($"/v2/{name}/blobs/uploads/", location);
        using (var patch = await _client.PatchChunkAsync(location, chunked, "0-299"))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            location = SpecHttp.LocationOf(patch);
        }
        using (var status = await _client.GetAsync(location))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal("0-299", status.Header("Range"));
        }
        using (var put = await _client.PutUploadAsync(location, Sha256(chunked)))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal($"/v2/{name}/blobs/{Sha256(chunked)}", SpecHttp.LocationOf(put));
        }
        await _client.AssertBlobAsync(name, Sha256(chunked), chunked);

        var image = await _client.PushImageBlobsAsync(name, seed: 191);
        var descriptor = await _client.PushManifestAsync(name, image, tag: "list");
        await _client.AssertManifestAsync(name, "list", Bytes(image), MediaTypes.OciManifest);
        Assert.Equal(["list"], await _client.TagsAsync(name));
        using (var referrers = await _client.GetAsync($"/v2/{name}/referrers/{DigestOf(descriptor)}"))
        {
            Assert.Equal(HttpStatusCode.OK, referrers.StatusCode);
        }
        using (var delete = await _client.DeleteAsync($"/v2/{name}/manifests/list"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        Assert.Empty(await _client.TagsAsync(name));
    }

    [Theory]
    [InlineData("a__b/c-d/e--f/g.h/i_j")]
    [InlineData("0/1/2")]
    public async Task NamesUsingEverySeparator_AreValid(string name)
    {
        await _client.PushImageAsync(name, "v1", seed: 192);
        Assert.Equal(["v1"], await _client.TagsAsync(name));
    }

    [Theory]
    [InlineData("Upper/case")]
    [InlineData("spec/trailing-")]
    [InlineData("spec/-leading")]
    [InlineData("spec/a___b")]
    [InlineData("spec/a..b")]
    [InlineData("spec/a.-b")]
    [InlineData("spec/_berth")]
    [InlineData("spec/a%20b")]
    [InlineData("spec/a%2Fb")]
    [InlineData("spec//double-slash")]
    public async Task InvalidNames_Return400NameInvalidAndStoreNothing(string name)
    {
        // <name> grammar: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
        await AssertNameInvalidEverywhereAsync(name);
    }

    [Fact]
    public async Task OverlongName_Returns400NameInvalid()
    {
        var name = "spec/" + string.Join('/', Enumerable.Repeat("abcdefghij", 26));
        Assert.True(name.Length > 255);
        await AssertNameInvalidEverywhereAsync(name);
    }

    [Theory]
    // The dot-segment forms an attacker would send; each would otherwise be resolved by the server.
    [InlineData("/v2/{0}/x/../y/manifests/v1")]
    [InlineData("/v2/{0}/x/%2e%2e/y/manifests/v1")]
    [InlineData("/v2/{0}/x/%2E%2E/y/tags/list")]
    [InlineData("/v2/{0}/x/.%2e/y/blobs/uploads/")]
    [InlineData("/v2/{0}/./y/tags/list")]
    [InlineData("/v2/{0}/y/%2e/tags/list")]
    [InlineData("/v2/{0}/y/manifests/..")]
    public async Task DotSegments_Return400NameInvalid(string template)
    {
        // Issue 2: path-traversal attempts such as ".." or "%2e%2e" are bad input. "x/../y" is not a
        // name the grammar admits, so it must not be served as repository "y".
        var parent = Repo();
        await _client.PushImageAsync(parent + "/y", "v1", seed: 193);

        foreach (var method in new[] { "GET", "POST", "PUT", "DELETE" })
        {
            var response = await RawHttp.SendAsync(shared.Berth.Address, method, string.Format(template, parent), [], "{}"u8.ToArray());
            Assert.Equal(400, response.Status);
            Assert.Contains("\"code\":\"NAME_INVALID\"", response.Text);
            Assert.Equal("registry/2.0", response.Header("Docker-Distribution-API-Version"));
        }
        // Nothing was created, and the repository that ".." pointed at is unchanged.
        Assert.Equal(["v1"], await _client.TagsAsync(parent + "/y"));
        using var other = await _client.GetAsync($"/v2/{parent}/x/tags/list");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    [Theory]
    [InlineData("/v2/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("/v2/a/%2E%2E/%2E%2E/%2E%2E/metadata.db/blobs/sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("/v2/../../metadata.db")]
    public async Task TraversalOutOfTheApi_ServesNothing(string target)
    {
        // Resolved, these leave /v2/ altogether; whatever answers, no file of the data folder is served.
        var response = await RawHttp.SendAsync(shared.Berth.Address, "GET", target, []);
        Assert.InRange(response.Status, 400, 404);
        Assert.DoesNotContain("SQLite", response.Text);
    }

    [Theory]
    [InlineData("..%2F..%2Fmetadata.db")]
    [InlineData("..%2f..%2f..%2fetc%2fpasswd")]
    [InlineData("%2e%2e")]
    public async Task TraversalInUploadId_Returns4xxAndTouchesNothing(string id)
    {
        var name = Repo();
        var response = await RawHttp.SendAsync(shared.Berth.Address, "PATCH", $"/v2/{name}/blobs/uploads/{id}", [], "evil"u8.ToArray());
        Assert.InRange(response.Status, 400, 404);
        Assert.True(File.Exists(Path.Combine(shared.Berth.DataDirectory, "metadata.db")));
    }

    [Theory]
    [InlineData("sha256:abc")]
    [InlineData("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")]
    [InlineData("sha256:zzb0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85")]
    [InlineData("sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("sha256")]
    [InlineData("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("sha256:..%2F..%2Fmetadata.db")]
    public async Task MalformedDigests_Return400DigestInvalid(string digest)
    {
        await AssertDigestInvalidEverywhereAsync(digest);
    }

    [Theory]
    [InlineData("sha384:38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")]
    public async Task UnknownAlgorithms_Return400DigestInvalid(string digest)
    {
        // "if the client provided digest ... uses an unsupported algorithm, the registry SHOULD respond with 400".
        await AssertDigestInvalidEverywhereAsync(digest);
    }

    [Fact]
    public async Task InvalidTags_Return400OnPushAnd404OnPull()
    {
        var name = Repo();
        var body = Bytes(await _client.PushImageBlobsAsync(name, seed: 194));
        // <reference> as a tag: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}.
        foreach (var tag in new[] { ".hidden", "-dash", new string('a', 129), "a+b" })
        {
            using var put = await _client.PutManifestAsync(name, tag, body);
            await put.AssertErrorAsync(HttpStatusCode.BadRequest, "MANIFEST_INVALID");
            using var get = await _client.GetAsync($"/v2/{name}/manifests/{tag}");
            await get.AssertErrorAsync(HttpStatusCode.NotFound, "MANIFEST_UNKNOWN");
        }
        await _client.AssertManifestAbsentAsync(name, Sha256(body));

        var longest = new string('a', 128);
        await _client.PushManifestAsync(name, body, MediaTypes.OciManifest, tag: longest);
        Assert.Equal([longest], await _client.TagsAsync(name));
    }

    [Fact]
    public async Task UnknownEndpoint_Returns404WithSpecErrorBody()
    {
        using var response = await _client.GetAsync($"/v2/{Repo()}/nothing-here");
        await response.AssertSpecErrorAsync(HttpStatusCode.NotFound);
        Assert.Equal("registry/2.0", response.Header("Docker-Distribution-API-Version"));
    }

    [Fact]
    public async Task WrongMethod_Returns405WithAllow()
    {
        var name = Repo();
        using var response = await _client.PostAsync($"/v2/{name}/manifests/v1", new ByteArrayContent([]));
        await response.AssertErrorAsync(HttpStatusCode.MethodNotAllowed, "UNSUPPORTED");
        Assert.Equal(["DELETE", "GET", "HEAD", "PUT"], response.Content.Headers.Allow.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ErrorResponses_UseTheSpecBodyAndCarryTheApiVersion()
    {
        // "Error Codes": a JSON 4xx body is {"errors":[{"code","message","detail"}]}, code from the list.
        var name = Repo();
        await _client.PushImageAsync(name, "v1", seed: 195);
        var requests = new (string Path, HttpStatusCode Status, string Code)[]
        {
            ($"/v2/{name}/blobs/{EmptyDigest}", HttpStatusCode.NotFound, "BLOB_UNKNOWN"),
            ($"/v2/{name}/blobs/uploads/0123456789abcdef0123456789abcdef", HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN"),
            ($"/v2/{name}/manifests/missing", HttpStatusCode.NotFound, "MANIFEST_UNKNOWN"),
            ($"/v2/{name}/manifests/sha256:bad", HttpStatusCode.BadRequest, "DIGEST_INVALID"),
            ($"/v2/{name}/NOT/tags/list", HttpStatusCode.BadRequest, "NAME_INVALID"),
            ($"/v2/{name}/unknown/tags/list", HttpStatusCode.NotFound, "NAME_UNKNOWN"),
        };
        foreach (var (path, status, code) in requests)
        {
            using var response = await _client.GetAsync(path);
            await response.AssertErrorAsync(status, code);
            Assert.Equal("registry/2.0", response.Header("Docker-Distribution-API-Version"));
            var json = await response.ReadJsonAsync();
            var error = json.GetProperty("errors")[0];
            Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
            Assert.Matches("^[A-Z_]+$", error.GetProperty("code").GetString()!);
        }
    }

    private async Task AssertNameInvalidEverywhereAsync(string name)
    {
        var content = Encoding.UTF8.GetBytes("{}");
        var requests = new (HttpMethod Method, string Path, HttpContent? Body)[]
        {
            (HttpMethod.Get, $"/v2/{name}/manifests/v1", null),
            (HttpMethod.Head, $"/v2/{name}/manifests/v1", null),
            (HttpMethod.Put, $"/v2/{name}/manifests/v1", new ByteArrayContent(content)),
            (HttpMethod.Delete, $"/v2/{name}/manifests/v1", null),
            (HttpMethod.Get, $"/v2/{name}/blobs/{EmptyDigest}", null),
            (HttpMethod.Delete, $"/v2/{name}/blobs/{EmptyDigest}", null),
            (HttpMethod.Post, $"/v2/{name}/blobs/uploads/", null),
            (HttpMethod.Post, $"/v2/{name}/blobs/uploads/?digest={EmptyDigest}", new ByteArrayContent([])),
            (HttpMethod.Get, $"/v2/{name}/tags/list", null),
            (HttpMethod.Get, $"/v2/{name}/referrers/{EmptyDigest}", null),
        };
        foreach (var (method, path, body) in requests)
        {
            using var request = new HttpRequestMessage(method, path) { Content = body };
            if (body is not null) body.Headers.ContentType = new(MediaTypes.OciManifest);
            using var response = await _client.SendAsync(request);
            if (method == HttpMethod.Head)
            {
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                continue;
            }
            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "NAME_INVALID");
            Assert.False(response.Headers.Contains("Location"));
        }
        // Nothing was created under any spelling of the name.
        using var catalog = await _client.GetAsync("/v2/_catalog");
        var repositories = (await catalog.ReadJsonAsync()).GetProperty("repositories").EnumerateArray().Select(r => r.GetString()).ToList();
        Assert.DoesNotContain(repositories, r => r!.Equals(Uri.UnescapeDataString(name), StringComparison.OrdinalIgnoreCase));
    }

    private async Task AssertDigestInvalidEverywhereAsync(string digest)
    {
        var name = Repo();
        var content = RandomBytes(16, seed: 196);
        await _client.PushBlobAsync(name, content);
        var location = await _client.StartUploadAsync(name);

        var requests = new List<(HttpMethod Method, string Path, HttpContent? Body)>
        {
            (HttpMethod.Get, $"/v2/{name}/blobs/{digest}", null),
            (HttpMethod.Delete, $"/v2/{name}/blobs/{digest}", null),
            (HttpMethod.Get, $"/v2/{name}/referrers/{digest}", null),
            (HttpMethod.Post, $"/v2/{name}/blobs/uploads/?digest={digest}", new ByteArrayContent(content)),
            (HttpMethod.Post, $"/v2/{name}/blobs/uploads/?mount={digest}&from={name}", null),
            (HttpMethod.Put, SpecHttp.WithQuery(location, "digest=" + digest), new ByteArrayContent(content)),
        };
        // A manifest reference without ":" is a tag, so only digest-shaped text is a bad digest there.
        var isManifestDigest = digest.Contains(':');
        if (isManifestDigest)
        {
            requests.Add((HttpMethod.Get, $"/v2/{name}/manifests/{digest}", null));
            requests.Add((HttpMethod.Delete, $"/v2/{name}/manifests/{digest}", null));
        }
        foreach (var (method, path, body) in requests)
        {
            using var response = await _client.SendAsync(new HttpRequestMessage(method, path) { Content = body });
            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }
        // A manifest PUT to a malformed digest is refused as well (the suite's "invalid-digest-format").
        if (isManifestDigest && !digest.Contains('%'))
        {
            using var put = await _client.PutManifestAsync(name, digest, Bytes(Index([])), MediaTypes.OciIndex);
            await put.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }
        // The rejected closing PUT left the session open and empty.
        using var status = await _client.GetAsync(location);
        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        Assert.Equal("0-0", status.Header("Range"));
    }
}
