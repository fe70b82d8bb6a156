using System.Net;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.RegistryContent;
using static Berth.Server.Tests.Support.RepositoryNames;

namespace Berth.Server.Tests;

/// <summary>
/// distribution-spec "Pushing blobs": end-4a/4b/4c (POST), end-5 (PATCH), end-6 (closing PUT),
/// end-13 (upload status), end-14 (cancel), with the request shapes of the conformance suites.
/// </summary>
public sealed class BlobUploadTests(InProcessBerthFixture shared) : IClassFixture<InProcessBerthFixture>
{
    private readonly HttpClient _client = shared.Client;

    /// <summary>The conformance suite's multi-chunk blob: 3 × 1024 − 5 bytes, sent as 0-1023, 1024-2047, 2048-3066.</summary>
    private static readonly byte[] ChunkedBlob = RandomBytes(3 * 1024 - 5, seed: 3067);

    [Fact]
    public async Task MonolithicPost_Returns201WithLocationAndDigest()
    {
        var name = Repo();
        var content = RandomBytes(512, seed: 1);
        var digest = Sha256(content);
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new(SpecHttp.OctetStream);
        using var response = await _client.PostAsync($"/v2/{name}/blobs/uploads/?digest={digest}", body);

        // end-4b: 201 and a Location that points at the pullable blob.
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal($"/v2/{name}/blobs/{digest}", SpecHttp.LocationOf(response));
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        await _client.AssertBlobAsync(name, digest, content);
    }

    [Fact]
    public async Task PostThenPut_Returns202SessionThen201()
    {
        var name = Repo();
        var content = RandomBytes(512, seed: 2);
        var digest = Sha256(content);

        using var post = await _client.PostAsync($"/v2/{name}/blobs/uploads/", null);
        // end-4a: 202 with a Location under the repository's uploads, which the legacy suite re-bases on
        // its own host, so it must be an absolute path.
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        var location = SpecHttp.LocationOf(post);
        Assert.StartsWith($"/v2/{name}/blobs/uploads/", location);
        Assert.Equal("0-0", post.Header("Range"));

        using var put = await _client.PutUploadAsync(location, digest, content);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(digest, put.Header("Docker-Content-Digest"));
        var blobLocation = SpecHttp.LocationOf(put);
        using var get = await _client.GetAsync(blobLocation);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(content, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task PostWithoutTrailingSlash_AlsoOpensSession()
    {
        // The endpoint table writes /v2/<name>/blobs/uploads/; clients also send it without the slash.
        var name = Repo();
        using var post = await _client.PostAsync($"/v2/{name}/blobs/uploads", null);
        Assert.Equal(HttpStatusCode.Accepted, post.StatusCode);
        var content = RandomBytes(10, seed: 25);
        using var put = await _client.PutUploadAsync(SpecHttp.LocationOf(post), Sha256(content), content);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await _client.AssertBlobAsync(name, Sha256(content), content);
    }

    [Fact]
    public async Task ChunkedUpload_ReportsRangeAfterEachChunk()
    {
        var name = Repo();
        var digest = Sha256(ChunkedBlob);
        var location = await _client.StartUploadAsync(name);

        foreach (var (first, last) in new[] { (0, 1023), (1024, 2047), (2048, 3066) })
        {
            using var patch = await _client.PatchChunkAsync(location, ChunkedBlob[first..(last + 1)], $"{first}-{last}");
            // end-5: 202, Location to use for the next request, Range "0-<end of range>".
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal($"0-{last}", patch.Header("Range"));
            location = SpecHttp.LocationOf(patch);
        }

        using var put = await _client.PutUploadAsync(location, digest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await _client.AssertBlobAsync(name, digest, ChunkedBlob);
    }

    [Fact]
    public async Task ChunkedUpload_FinalChunkOnClosingPut_Returns201()
    {
        var name = Repo();
        var digest = Sha256(ChunkedBlob);
        var location = await _client.StartUploadAsync(name);
        using (var patch = await _client.PatchChunkAsync(location, ChunkedBlob[..2048], "0-2047"))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            location = SpecHttp.LocationOf(patch);
        }

        // end-6: "the final chunk MAY be uploaded with the closing PUT".
        using var put = await _client.PutUploadAsync(location, digest, ChunkedBlob[2048..], "2048-3066");
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal($"/v2/{name}/blobs/{digest}", SpecHttp.LocationOf(put));
        await _client.AssertBlobAsync(name, digest, ChunkedBlob);
    }

    [Fact]
    public async Task StreamedPatch_WithoutContentRangeOrContentLength_Returns202()
    {
        var name = Repo();
        var content = RandomBytes(100_000, seed: 5);
        var digest = Sha256(content);
        var location = await _client.StartUploadAsync(name);

        // What docker, containerd and the new conformance suite send: no Content-Range, and the body in
        // chunked transfer encoding, so not even a Content-Length.
        using (var patch = await _client.PatchChunkAsync(location, content, chunkedTransfer: true))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal($"0-{content.Length - 1}", patch.Header("Range"));
            location = SpecHttp.LocationOf(patch);
        }

        using var put = await _client.PutUploadAsync(location, digest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.False(string.IsNullOrEmpty(SpecHttp.LocationOf(put)));
        await _client.AssertBlobAsync(name, digest, content);
    }

    [Fact]
    public async Task StreamedPatches_WithoutContentRange_AppendInOrder()
    {
        var name = Repo();
        var content = RandomBytes(42, seed: 6);
        var digest = Sha256(content);
        var location = await _client.StartUploadAsync(name);

        foreach (var part in new[] { content[..22], content[22..] })
        {
            using var patch = await _client.PatchChunkAsync(location, part);
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            location = SpecHttp.LocationOf(patch);
        }
        using var put = await _client.PutUploadAsync(location, digest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await _client.AssertBlobAsync(name, digest, content);
    }

    [Fact]
    public async Task LegacySuiteChunkSequence_ReportsExactRanges()
    {
        // The v1.1 suite's chunked push: 42 bytes as 0-21 and 22-41, with the re-sent first chunk and the
        // status request in between (legacy 02_push_test.go).
        var name = Repo();
        var content = RandomBytes(42, seed: 7);
        var digest = Sha256(content);
        var postLocation = await _client.StartUploadAsync(name);

        using (var patch = await _client.PatchChunkAsync(postLocation, content[..22], "0-21"))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal("0-21", patch.Header("Range"));
        }
        using (var again = await _client.PatchChunkAsync(postLocation, content[..22], "0-21"))
        {
            // The original URL must stay valid, and the repeated range is out of order.
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, again.StatusCode);
        }
        string location;
        using (var status = await _client.GetAsync(postLocation))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal("0-21", status.Header("Range"));
            location = SpecHttp.LocationOf(status);
        }
        using (var patch = await _client.PatchChunkAsync(location, content[22..], "22-41"))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal("0-41", patch.Header("Range"));
            location = SpecHttp.LocationOf(patch);
        }
        using var put = await _client.PutUploadAsync(location, digest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await _client.AssertBlobAsync(name, digest, content);
    }

    [Fact]
    public async Task ChunkOutOfOrder_Returns416AndKeepsSession()
    {
        var name = Repo();
        var digest = Sha256(ChunkedBlob);
        var location = await _client.StartUploadAsync(name);

        // end-5: "If a chunk is uploaded out of order, the registry MUST respond with 416". The suite
        // sends three kinds: a first chunk not at 0, a chunk skipping ahead, and an accepted range again.
        await AssertOutOfOrderAsync(location, ChunkedBlob[1024..2048], "1024-2047", expectedRange: "0-0");
        await AssertAcceptedAsync(location, ChunkedBlob[..1024], "0-1023");
        await AssertOutOfOrderAsync(location, ChunkedBlob[2048..], "2048-3066", expectedRange: "0-1023");
        await AssertAcceptedAsync(location, ChunkedBlob[1024..2048], "1024-2047");
        await AssertOutOfOrderAsync(location, ChunkedBlob[..1024], "0-1023", expectedRange: "0-2047");
        await AssertAcceptedAsync(location, ChunkedBlob[2048..], "2048-3066");

        using var put = await _client.PutUploadAsync(location, digest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        // The rejected chunks left no trace in the stored bytes.
        await _client.AssertBlobAsync(name, digest, ChunkedBlob);
    }

    [Fact]
    public async Task OutOfOrderFinalChunkOnPut_Returns416AndKeepsSession()
    {
        var name = Repo();
        var digest = Sha256(ChunkedBlob);
        var location = await _client.StartUploadAsync(name);
        await AssertAcceptedAsync(location, ChunkedBlob[..1024], "0-1023");

        // A closing PUT whose final chunk skips ahead is out of order like a PATCH: 416, not 400 or 201,
        // and the session stays open (conformance "chunked out-of-order and put chunk").
        using (var put = await _client.PutUploadAsync(location, digest, ChunkedBlob[2048..], "2048-3066"))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, put.StatusCode);
        }
        await _client.AssertBlobAbsentAsync(name, digest);
        // The suite recovers with a GET on the same URL, which may still carry ?digest=.
        using (var status = await _client.GetAsync(SpecHttp.WithQuery(location, "digest=" + digest)))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal("0-1023", status.Header("Range"));
        }

        await AssertAcceptedAsync(location, ChunkedBlob[1024..2048], "1024-2047");
        using var done = await _client.PutUploadAsync(location, digest, ChunkedBlob[2048..], "2048-3066");
        Assert.Equal(HttpStatusCode.Created, done.StatusCode);
        await _client.AssertBlobAsync(name, digest, ChunkedBlob);
    }

    [Theory]
    [InlineData("bytes 0-99/*")]
    [InlineData("bytes 0-99/100")]
    public async Task ChunkWithRfc9110ContentRange_IsAccepted(string contentRange)
    {
        // The spec writes "<start>-<end>"; some clients send RFC 9110's form, which means the same.
        var name = Repo() + "/" + (contentRange.EndsWith('*') ? "open" : "total");
        var content = RandomBytes(100, seed: 18);
        var location = await _client.StartUploadAsync(name);
        using (var patch = await _client.PatchChunkAsync(location, content, contentRange))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal("0-99", patch.Header("Range"));
        }
        using var put = await _client.PutUploadAsync(location, Sha256(content));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await _client.AssertBlobAsync(name, Sha256(content), content);
    }

    [Theory]
    [InlineData("0-21")]
    [InlineData("garbage")]
    [InlineData("5-1")]
    public async Task WrongContentRange_IsRefusedAndKeepsSession(string contentRange)
    {
        // A 20-byte body whose Content-Range is malformed or claims another length is not appended.
        var name = Repo();
        var location = await _client.StartUploadAsync(name);
        await AssertAcceptedAsync(location, RandomBytes(10, seed: 19), "0-9");

        using (var patch = await _client.PatchChunkAsync(location, RandomBytes(20, seed: 20), contentRange))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, patch.StatusCode);
            Assert.Equal("0-9", patch.Header("Range"));
        }
        using var status = await _client.GetAsync(location);
        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        Assert.Equal("0-9", status.Header("Range"));
    }

    [Theory]
    [InlineData("10-19", 30)]
    [InlineData("10-49", 20)]
    public async Task ContentRangeDisagreeingWithAStreamedBody_IsRefusedAndKeepsSession(string contentRange, int bodyLength)
    {
        // With chunked transfer there is no Content-Length to compare: the body itself must match the
        // range, and a mismatch leaves the session exactly as it was.
        var name = Repo() + "/" + bodyLength;
        var content = RandomBytes(40, seed: 23);
        var location = await _client.StartUploadAsync(name);
        await AssertAcceptedAsync(location, content[..10], "0-9");

        using (var patch = await _client.PatchChunkAsync(location, RandomBytes(bodyLength, seed: 24), contentRange, chunkedTransfer: true))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, patch.StatusCode);
            Assert.Equal("0-9", patch.Header("Range"));
        }
        using (var status = await _client.GetAsync(location))
        {
            Assert.Equal("0-9", status.Header("Range"));
        }
        await AssertAcceptedAsync(location, content[10..], "10-39");
        using var put = await _client.PutUploadAsync(location, Sha256(content));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await _client.AssertBlobAsync(name, Sha256(content), content);
    }

    [Fact]
    public async Task CompletedUpload_IsClosed()
    {
        var name = Repo();
        var content = RandomBytes(64, seed: 21);
        var location = await _client.StartUploadAsync(name);
        using (var put = await _client.PutUploadAsync(location, Sha256(content), content))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        // The session ended with the blob: its URL no longer takes chunks or a second close.
        using (var status = await _client.GetAsync(location)) await status.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using (var patch = await _client.PatchChunkAsync(location, [1])) await patch.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using (var again = await _client.PutUploadAsync(location, Sha256(content))) await again.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        await _client.AssertBlobAsync(name, Sha256(content), content);
    }

    [Fact]
    public async Task LargeStreamedBlob_IsNotLimitedByTheServerBodySize()
    {
        // Blobs can be any size: 40 MiB is beyond the HTTP server's default 30 MB request body limit.
        var name = Repo();
        var content = RandomBytes(40 * 1024 * 1024, seed: 22);
        var location = await _client.StartUploadAsync(name);
        using (var patch = await _client.PatchChunkAsync(location, content, chunkedTransfer: true))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal($"0-{content.Length - 1}", patch.Header("Range"));
        }
        using var put = await _client.PutUploadAsync(location, Sha256(content));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var head = await _client.HeadAsync($"/v2/{name}/blobs/{Sha256(content)}");
        Assert.Equal(content.Length, head.Content.Headers.ContentLength);
    }

    /// <summary>
    /// A whole blob larger than an object store's segment, sent with its digest in one request: the
    /// object stores stream it into its own key and keep it only if the digest matches.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LargeWholeBlob_InOneRequest_IsStoredWhenItsDigestMatches_AndNotOtherwise(bool asClosingPut)
    {
        // One repository per case: both cases run under the test's name.
        var name = Repo() + (asClosingPut ? "-put" : "-post");
        var content = RandomBytes(40 * 1024 * 1024, seed: 23);
        var digest = Sha256(content);
        var wrong = Sha256(RandomBytes(16, seed: 24));

        using (var refused = await SendWholeAsync(wrong))
        {
            await refused.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }
        await _client.AssertBlobAbsentAsync(name, wrong);
        await _client.AssertBlobAbsentAsync(name, digest);

        using (var stored = await SendWholeAsync(digest))
        {
            Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
            Assert.Equal(digest, stored.Header("Docker-Content-Digest"));
        }
        await _client.AssertBlobAsync(name, digest, content);

        async Task<HttpResponseMessage> SendWholeAsync(string claimed)
        {
            if (asClosingPut) return await _client.PutUploadAsync(await _client.StartUploadAsync(name), claimed, content);
            using var body = new ByteArrayContent(content);
            body.Headers.ContentType = new(SpecHttp.OctetStream);
            return await _client.PostAsync($"/v2/{name}/blobs/uploads/?digest={claimed}", body);
        }
    }

    [Fact]
    public async Task UploadStatus_Returns204WithRange()
    {
        var name = Repo();
        var location = await _client.StartUploadAsync(name);

        // end-13: 204 with Location and Range; with nothing uploaded yet the Range is still present,
        // as "0-0" (the new suite fails a status response without it).
        using (var empty = await _client.GetAsync(location))
        {
            Assert.Equal(HttpStatusCode.NoContent, empty.StatusCode);
            Assert.Equal("0-0", empty.Header("Range"));
            Assert.StartsWith($"/v2/{name}/blobs/uploads/", SpecHttp.LocationOf(empty));
            Assert.Empty(await empty.Content.ReadAsByteArrayAsync());
        }

        await AssertAcceptedAsync(location, RandomBytes(300, seed: 8), "0-299");
        using var status = await _client.GetAsync(location);
        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        Assert.Equal("0-299", status.Header("Range"));
    }

    [Fact]
    public async Task CancelUpload_Returns204AndForgetsSession()
    {
        var name = Repo();
        var location = await _client.StartUploadAsync(name);
        await AssertAcceptedAsync(location, RandomBytes(100, seed: 9), "0-99");

        // end-14: DELETE on the session is 204; afterwards the session is unknown everywhere.
        using (var cancel = await _client.DeleteAsync(location))
        {
            Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
        }
        using (var status = await _client.GetAsync(location))
        {
            await status.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        }
        using (var patch = await _client.PatchChunkAsync(location, [1, 2, 3]))
        {
            await patch.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        }
        using (var again = await _client.DeleteAsync(location))
        {
            await again.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        }
        // The session's bytes are gone from the upload area.
        var id = location[(location.LastIndexOf('/') + 1)..];
        Assert.False(File.Exists(Path.Combine(shared.Berth.DataDirectory, "uploads", id)));
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("not-an-upload-id")]
    public async Task UnknownUploadId_Returns404BlobUploadUnknown(string id)
    {
        var name = Repo();
        var location = $"/v2/{name}/blobs/uploads/{id}";
        var digest = Sha256([1]);

        // end-5/6/13/14 failure: every session endpoint answers 404 BLOB_UPLOAD_UNKNOWN.
        using (var status = await _client.GetAsync(location)) await status.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using (var patch = await _client.PatchChunkAsync(location, [1], "0-0")) await patch.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using (var put = await _client.PutUploadAsync(location, digest, [1])) await put.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        using (var cancel = await _client.DeleteAsync(location)) await cancel.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        await _client.AssertBlobAbsentAsync(name, digest);
    }

    [Fact]
    public async Task UploadOfAnotherRepository_Returns404BlobUploadUnknown()
    {
        var owner = Repo() + "/owner";
        var other = Repo() + "/other";
        var location = await _client.StartUploadAsync(owner);
        var id = location[(location.LastIndexOf('/') + 1)..];

        // A session belongs to the repository it was opened in; its id does not open it elsewhere.
        using (var patch = await _client.PatchChunkAsync($"/v2/{other}/blobs/uploads/{id}", [1, 2], "0-1"))
        {
            await patch.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
        }
        using var status = await _client.GetAsync(location);
        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        Assert.Equal("0-0", status.Header("Range"));
    }

    [Fact]
    public async Task ConcurrentUploads_InOneRepository_StayApart()
    {
        // "Registries MUST support concurrent uploads" (distribution-spec "POST then PUT").
        var name = Repo();
        var first = RandomBytes(2000, seed: 10);
        var second = RandomBytes(2000, seed: 11);
        var firstLocation = await _client.StartUploadAsync(name);
        var secondLocation = await _client.StartUploadAsync(name);
        Assert.NotEqual(firstLocation, secondLocation);

        await AssertAcceptedAsync(firstLocation, first[..1000], "0-999");
        await AssertAcceptedAsync(secondLocation, second[..1000], "0-999");
        await AssertAcceptedAsync(secondLocation, second[1000..], "1000-1999");
        await AssertAcceptedAsync(firstLocation, first[1000..], "1000-1999");

        using (var put = await _client.PutUploadAsync(secondLocation, Sha256(second))) Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using (var put = await _client.PutUploadAsync(firstLocation, Sha256(first))) Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await _client.AssertBlobAsync(name, Sha256(first), first);
        await _client.AssertBlobAsync(name, Sha256(second), second);
    }

    [Fact]
    public async Task Sha512Digest_OnPlainSession_IsAccepted()
    {
        var name = Repo();
        var digest = Sha512(ChunkedBlob);
        var location = await _client.StartUploadAsync(name);
        await AssertAcceptedAsync(location, ChunkedBlob[..1024], "0-1023");
        await AssertAcceptedAsync(location, ChunkedBlob[1024..], "1024-3066");

        // The conformance suite never sends digest-algorithm: a plain session must accept a sha512
        // digest on the closing PUT.
        using var put = await _client.PutUploadAsync(location, digest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(digest, put.Header("Docker-Content-Digest"));
        Assert.Equal($"/v2/{name}/blobs/{digest}", SpecHttp.LocationOf(put));
        await _client.AssertBlobAsync(name, digest, ChunkedBlob);
        // Stored under its sha512 digest only; the sha256 digest of the same bytes names nothing here.
        await _client.AssertBlobAbsentAsync(name, Sha256(ChunkedBlob));
    }

    [Fact]
    public async Task Sha512_MonolithicPost_IsAccepted()
    {
        var name = Repo();
        var content = RandomBytes(512, seed: 12);
        var digest = await _client.PushBlobAsync(name, content, Sha512(content));
        await _client.AssertBlobAsync(name, digest, content);
    }

    [Fact]
    public async Task DigestAlgorithmSha512_SessionHashesWithSha512()
    {
        var name = Repo();
        var content = RandomBytes(5000, seed: 13);
        var digest = Sha512(content);

        // end-4c: POST ?digest-algorithm=sha512 announces the algorithm of the closing digest.
        var location = await _client.StartUploadAsync(name, "?digest-algorithm=sha512");
        using (var patch = await _client.PatchChunkAsync(location, content, chunkedTransfer: true))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        }
        using var put = await _client.PutUploadAsync(location, digest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        Assert.Equal(digest, put.Header("Docker-Content-Digest"));
        await _client.AssertBlobAsync(name, digest, content);
    }

    [Fact]
    public async Task DigestAlgorithmUnknown_Returns400DigestInvalid()
    {
        var name = Repo();
        // "if the client provided digest ... uses an unsupported algorithm, the registry SHOULD respond
        // with 400" (distribution-spec "Pushing blobs"); no session is opened.
        using var response = await _client.PostAsync($"/v2/{name}/blobs/uploads/?digest-algorithm=md5", null);
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        Assert.False(response.Headers.Contains("Location"));
    }

    [Fact]
    public async Task DigestMismatch_OnClosingPut_Returns400AndCreatesNoBlob()
    {
        var name = Repo();
        var original = RandomBytes(3 * 1024 - 5, seed: 14);
        var corrupted = original.Concat("oh no"u8.ToArray()).ToArray();
        var claimed = Sha256(original);
        var location = await _client.StartUploadAsync(name);

        // The conformance suite's bad-digest blob: the content grows, the digest is the original's.
        using var put = await _client.PutUploadAsync(location, claimed, corrupted);
        await put.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await _client.AssertBlobAbsentAsync(name, claimed);
        await _client.AssertBlobAbsentAsync(name, Sha256(corrupted));
        AssertNotOnDisk(claimed);
        AssertNotOnDisk(Sha256(corrupted));
    }

    [Fact]
    public async Task DigestMismatch_AfterChunks_Returns400AndCreatesNoBlob()
    {
        var name = Repo();
        var claimed = Sha256(ChunkedBlob);
        var location = await _client.StartUploadAsync(name);
        await AssertAcceptedAsync(location, ChunkedBlob[..1024], "0-1023");
        using (var patch = await _client.PatchChunkAsync(location, "oh no"u8.ToArray(), chunkedTransfer: true))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        }

        using var put = await _client.PutUploadAsync(location, claimed);
        await put.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await _client.AssertBlobAbsentAsync(name, claimed);
        AssertNotOnDisk(claimed);
    }

    [Fact]
    public async Task DigestMismatch_OnMonolithicPost_Returns400AndCreatesNoBlob()
    {
        var name = Repo();
        var content = RandomBytes(512, seed: 15);
        var claimed = Sha256(RandomBytes(512, seed: 16));
        using var body = new ByteArrayContent(content);
        using var response = await _client.PostAsync($"/v2/{name}/blobs/uploads/?digest={claimed}", body);

        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        Assert.False(response.Headers.Contains("Location"));
        await _client.AssertBlobAbsentAsync(name, claimed);
        await _client.AssertBlobAbsentAsync(name, Sha256(content));
        AssertNotOnDisk(claimed);
        AssertNotOnDisk(Sha256(content));
    }

    [Fact]
    public async Task ClosingPutWithoutDigest_Returns400AndKeepsSession()
    {
        var name = Repo();
        var content = RandomBytes(64, seed: 17);
        var location = await _client.StartUploadAsync(name);
        await AssertAcceptedAsync(location, content, "0-63");

        // end-6: the closing PUT MUST carry the digest of the whole blob.
        using (var put = await _client.PutAsync(location, null))
        {
            await put.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        }
        using (var status = await _client.GetAsync(location))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal("0-63", status.Header("Range"));
        }
        using var done = await _client.PutUploadAsync(location, Sha256(content));
        Assert.Equal(HttpStatusCode.Created, done.StatusCode);
    }

    [Theory]
    [InlineData("sha256")]
    [InlineData("sha512")]
    public async Task EmptyBlob_PushedAndPulledWithContentLengthZero(string algorithm)
    {
        var name = Repo() + "/" + algorithm;
        var digest = algorithm == "sha256" ? Sha256([]) : Sha512([]);
        if (algorithm == "sha256") Assert.Equal("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", digest);

        // The new suite's well-known "empty" blob: POST, then a PUT with Content-Length 0 and no body.
        var location = await _client.StartUploadAsync(name);
        using (var put = await _client.PutUploadAsync(location, digest))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal(digest, put.Header("Docker-Content-Digest"));
        }
        using (var head = await _client.HeadAsync($"/v2/{name}/blobs/{digest}"))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(["0"], head.Content.Headers.GetValues("Content-Length"));
        }
        await _client.AssertBlobAsync(name, digest, []);
    }

    [Fact]
    public async Task EmptyJsonBlob_HasTheWellKnownDigest()
    {
        var name = Repo();
        var content = "{}"u8.ToArray();
        var digest = await _client.PushBlobInTwoStepsAsync(name, content, Sha256(content));
        // image-spec "Empty Descriptor" and the legacy suite's assertion.
        Assert.Equal("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", digest);
        await _client.AssertBlobAsync(name, digest, content);
    }

    [Fact]
    public async Task MonolithicPostOfEmptyBlob_Returns201()
    {
        var name = Repo();
        var digest = await _client.PushBlobAsync(name, []);
        await _client.AssertBlobAsync(name, digest, []);
    }

    private async Task AssertAcceptedAsync(string location, byte[] chunk, string range)
    {
        using var patch = await _client.PatchChunkAsync(location, chunk, range);
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        Assert.Equal("0-" + range[(range.IndexOf('-') + 1)..], patch.Header("Range"));
    }

    private async Task AssertOutOfOrderAsync(string location, byte[] chunk, string range, string expectedRange)
    {
        using (var patch = await _client.PatchChunkAsync(location, chunk, range))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, patch.StatusCode);
        }
        // The session survives, holding exactly what it held before.
        using var status = await _client.GetAsync(location);
        Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
        Assert.Equal(expectedRange, status.Header("Range"));
    }

    private void AssertNotOnDisk(string digest)
    {
        var (algorithm, hex) = (digest[..digest.IndexOf(':')], digest[(digest.IndexOf(':') + 1)..]);
        Assert.False(File.Exists(Path.Combine(shared.Berth.DataDirectory, "blobs", algorithm, hex[..2], hex)),
            $"blob {digest} was stored although the upload was rejected");
    }
}
