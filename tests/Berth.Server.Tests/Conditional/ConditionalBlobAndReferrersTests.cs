using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Berth.Oci.Preconditions;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.ConditionalScenario;

namespace Berth.Server.Tests.Conditional;

/// <summary>
/// Preconditions on blobs (full RFC 9110 §13 including If-Range, use case 7) and on referrers
/// responses, whose ETag is the digest of the exact body: cases 51–55 of section 6 of the
/// conditional-requests design reference, plus conditional blob deletes.
/// </summary>
public sealed class ConditionalBlobAndReferrersTests(InProcessBerthFixture fixture) : IClassFixture<InProcessBerthFixture>
{
    private const string Signal = ConditionalAssert.Signal;
    private const string SignatureType = "application/vnd.example.signature.v1";
    private const string SbomType = "application/vnd.example.sbom.v1";

    private Task<ConditionalScenario> ScenarioAsync(string repository) => CreateAsync(fixture.Client, repository);

    private static string BlobPath(ConditionalScenario s, string digest) => $"/v2/{s.Repository}/blobs/{digest}";

    private static string ReferrersPath(ConditionalScenario s, string? artifactType = null) =>
        $"/v2/{s.Repository}/referrers/{s.D1}" + (artifactType is null ? "" : $"?artifactType={Uri.EscapeDataString(artifactType)}");

    [Fact]
    public async Task Case51_BlobHasAStrongETag_AndMatchingIfNoneMatchIs304()
    {
        var s = await ScenarioAsync("blobs/case51");
        using var full = await s.Client.GetAsync(BlobPath(s, s.B));
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal(Quoted(s.B), full.Header("ETag"));
        Assert.Equal(s.B, full.Header("Docker-Content-Digest"));
        Assert.Equal("max-age=31536000, immutable", full.RawHeader("Cache-Control"));
        Assert.Equal("yes", full.Header(Signal));
        Assert.Equal(s.Blob, await full.Content.ReadAsByteArrayAsync());

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            using var response = await s.Client.SendAsync(method, BlobPath(s, s.B), [("If-None-Match", Quoted(s.B))]);
            Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
            // RFC 9110 §15.4.5: the 304 carries what the 200 would have.
            Assert.Equal(Quoted(s.B), response.Header("ETag"));
            Assert.Equal(s.B, response.Header("Docker-Content-Digest"));
            Assert.Equal("max-age=31536000, immutable", response.RawHeader("Cache-Control"));
            Assert.Equal("yes", response.Header(Signal));
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }

        using var other = await s.Client.SendAsync(HttpMethod.Get, BlobPath(s, s.B), [("If-None-Match", Quoted(D9))]);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(s.Blob, await other.Content.ReadAsByteArrayAsync());
        using var weak = await s.Client.SendAsync(HttpMethod.Get, BlobPath(s, s.B), [("If-None-Match", $"W/{Quoted(s.B)}")]);
        Assert.Equal(HttpStatusCode.NotModified, weak.StatusCode);
    }

    [Fact]
    public async Task Case51_IfModifiedSinceOnABlob_IsEvaluated()
    {
        var s = await ScenarioAsync("blobs/case51ims");
        using var later = await s.Client.SendAsync(HttpMethod.Get, BlobPath(s, s.B),
            [("If-Modified-Since", HttpDate.Format(DateTimeOffset.UtcNow.AddMinutes(5)))]);
        Assert.Equal(HttpStatusCode.NotModified, later.StatusCode);
        Assert.Equal(Quoted(s.B), later.Header("ETag"));
        using var earlier = await s.Client.SendAsync(HttpMethod.Get, BlobPath(s, s.B),
            [("If-Modified-Since", HttpDate.Format(DateTimeOffset.UtcNow.AddDays(-1)))]);
        Assert.Equal(HttpStatusCode.OK, earlier.StatusCode);
    }

    [Fact]
    public async Task Case51_UnknownBlobWithIfNoneMatchStar_Is404()
    {
        var s = await ScenarioAsync("blobs/case51u");
        using var response = await s.Client.SendAsync(HttpMethod.Get, BlobPath(s, D9), [("If-None-Match", "*")]);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("BLOB_UNKNOWN", await response.ErrorCodeAsync());
        using var ifMatch = await s.Client.SendAsync(HttpMethod.Get, BlobPath(s, D9), [("If-Match", Quoted(D9))]);
        Assert.Equal(HttpStatusCode.NotFound, ifMatch.StatusCode);
    }

    [Fact]
    public async Task Case52_RangeWithCurrentIfRange_Is206()
    {
        var s = await ScenarioAsync("blobs/case52");
        using var response = await s.Client.SendAsync(HttpMethod.Get, BlobPath(s, s.B),
            [("Range", "bytes=0-9"), ("If-Range", Quoted(s.B))]);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes 0-9/{s.Blob.Length}", response.Header("Content-Range"));
        Assert.Equal(Quoted(s.B), response.Header("ETag"));
        Assert.Equal(s.Blob[..10], await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("\"{D9}\"")] // another representation
    [InlineData("W/\"{B}\"")] // weak: If-Range needs strong comparison (§13.1.5)
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT")] // a date that is not the blob's
    [InlineData("garbage")]
    public async Task Case53_RangeWithStaleIfRange_Is200WithTheWholeBlob(string pattern)
    {
        var s = await ScenarioAsync("blobs/case53-" + (uint)pattern.GetHashCode(StringComparison.Ordinal));
        var ifRange = pattern.Replace("{D9}", D9, StringComparison.Ordinal).Replace("{B}", s.B, StringComparison.Ordinal);
        using var response = await s.Client.SendAsync(HttpMethod.Get, BlobPath(s, s.B), [("Range", "bytes=0-9"), ("If-Range", ifRange)]);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("", response.Header("Content-Range"));
        Assert.Equal(s.Blob, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Case54_BlobGetWithStaleIfMatch_Is412()
    {
        var s = await ScenarioAsync("blobs/case54");
        using var response = await s.Client.SendAsync(HttpMethod.Get, BlobPath(s, s.B), [("If-Match", Quoted(D9))]);
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Equal(Quoted(s.B), response.Header("ETag"));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        using var head = await s.Client.SendAsync(HttpMethod.Head, BlobPath(s, s.B), [("If-Match", Quoted(D9))]);
        Assert.Equal(HttpStatusCode.PreconditionFailed, head.StatusCode);

        using var current = await s.Client.SendAsync(HttpMethod.Get, BlobPath(s, s.B), [("If-Match", Quoted(s.B))]);
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        Assert.Equal(s.Blob, await current.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Case54_FailingIfMatchWinsOverARange()
    {
        // §13.2.2: preconditions (steps 1-4) come before Range/If-Range (step 5).
        var s = await ScenarioAsync("blobs/case54r");
        using var response = await s.Client.SendAsync(HttpMethod.Get, BlobPath(s, s.B),
            [("If-Match", Quoted(D9)), ("Range", "bytes=0-9"), ("If-Range", Quoted(s.B))]);
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
    }

    [Fact]
    public async Task BlobDelete_EvaluatesPreconditions()
    {
        var s = await ScenarioAsync("blobs/delete");
        var extra = RandomBytes(32, 4242);
        var digest = await s.Client.PushBlobAsync(s.Repository, extra);

        using var stale = await s.Client.SendAsync(HttpMethod.Delete, BlobPath(s, digest), [("If-Match", Quoted(D9))]);
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        Assert.Equal(Quoted(digest), stale.Header("ETag"));
        using var createOnly = await s.Client.SendAsync(HttpMethod.Delete, BlobPath(s, digest), [("If-None-Match", "*")]);
        Assert.Equal(HttpStatusCode.PreconditionFailed, createOnly.StatusCode);
        using var malformed = await s.Client.SendAsync(HttpMethod.Delete, BlobPath(s, digest), [("If-Match", "\"unterminated")]);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        using (var still = await s.Client.GetAsync(BlobPath(s, digest))) Assert.Equal(HttpStatusCode.OK, still.StatusCode);

        using var current = await s.Client.SendAsync(HttpMethod.Delete, BlobPath(s, digest), [("If-Match", Quoted(digest))]);
        Assert.Equal(HttpStatusCode.Accepted, current.StatusCode);
        using var gone = await s.Client.GetAsync(BlobPath(s, digest));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        // A second conditional delete: 404 wins over the precondition (§13.2.1).
        using var again = await s.Client.SendAsync(HttpMethod.Delete, BlobPath(s, digest), [("If-Match", Quoted(digest))]);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task Case55_ReferrersETagIsTheDigestOfTheBody_AndChangesWithTheList()
    {
        var s = await ScenarioAsync("referrers/case55");
        var signature = s.Manifest(100, subject: s.D1, artifactType: SignatureType);
        using (var pushed = await s.PutAsync(Sha256(signature), signature)) Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);

        using var first = await s.Client.GetAsync(ReferrersPath(s));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var body = await first.Content.ReadAsByteArrayAsync();
        var etag = first.Header("ETag");
        // Design doc §5.1: the quoted digest of the exact response bytes (answers distribution-spec #513).
        Assert.Equal(Quoted(Sha256(body)), etag);
        Assert.Equal("yes", first.Header(Signal));

        // The body is deterministic: the same list gives the same bytes and ETag.
        using (var repeat = await s.Client.GetAsync(ReferrersPath(s)))
        {
            Assert.Equal(body, await repeat.Content.ReadAsByteArrayAsync());
            Assert.Equal(etag, repeat.Header("ETag"));
        }

        using var revalidated = await s.Client.SendAsync(HttpMethod.Get, ReferrersPath(s), [("If-None-Match", etag)]);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.Equal(etag, revalidated.Header("ETag"));
        Assert.NotEqual("", revalidated.RawHeader("Cache-Control"));
        Assert.Equal("yes", revalidated.Header(Signal));
        Assert.Empty(await revalidated.Content.ReadAsByteArrayAsync());

        var sbom = s.Manifest(101, subject: s.D1, artifactType: SbomType);
        using (var pushed = await s.PutAsync(Sha256(sbom), sbom)) Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);

        using var changed = await s.Client.SendAsync(HttpMethod.Get, ReferrersPath(s), [("If-None-Match", etag)]);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var newBody = await changed.Content.ReadAsByteArrayAsync();
        Assert.NotEqual(etag, changed.Header("ETag"));
        Assert.Equal(Quoted(Sha256(newBody)), changed.Header("ETag"));
        using var document = JsonDocument.Parse(newBody);
        Assert.Equal(2, document.RootElement.GetProperty("manifests").GetArrayLength());
    }

    [Fact]
    public async Task Case55_FilteredReferrersHaveTheirOwnETag()
    {
        var s = await ScenarioAsync("referrers/case55f");
        foreach (var (seed, type) in new[] { (200, SignatureType), (201, SbomType) })
        {
            var referrer = s.Manifest(seed, subject: s.D1, artifactType: type);
            using var pushed = await s.PutAsync(Sha256(referrer), referrer);
            Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        }
        using var all = await s.Client.GetAsync(ReferrersPath(s));
        using var filtered = await s.Client.GetAsync(ReferrersPath(s, SbomType));
        Assert.Equal("artifactType", filtered.Header("OCI-Filters-Applied"));
        var filteredBody = await filtered.Content.ReadAsByteArrayAsync();
        Assert.Equal(Quoted(Sha256(filteredBody)), filtered.Header("ETag"));
        Assert.NotEqual(all.Header("ETag"), filtered.Header("ETag"));

        using var revalidated = await s.Client.SendAsync(HttpMethod.Get, ReferrersPath(s, SbomType), [("If-None-Match", filtered.Header("ETag"))]);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        // The unfiltered list's ETag does not validate the filtered representation.
        using var crossed = await s.Client.SendAsync(HttpMethod.Get, ReferrersPath(s, SbomType), [("If-None-Match", all.Header("ETag"))]);
        Assert.Equal(HttpStatusCode.OK, crossed.StatusCode);
    }

    [Fact]
    public async Task Case55_ReferrersWithStaleIfMatch_Is412()
    {
        var s = await ScenarioAsync("referrers/case55m");
        using var empty = await s.Client.GetAsync(ReferrersPath(s));
        Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
        Assert.Equal(Quoted(Sha256(await empty.Content.ReadAsByteArrayAsync())), empty.Header("ETag"));

        using var stale = await s.Client.SendAsync(HttpMethod.Get, ReferrersPath(s), [("If-Match", Quoted(D9))]);
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        using var current = await s.Client.SendAsync(HttpMethod.Get, ReferrersPath(s), [("If-Match", empty.Header("ETag"))]);
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
        Assert.Equal(new MediaTypeHeaderValue(MediaTypes.OciIndex).MediaType, current.Content.Headers.ContentType?.MediaType);
    }
}
