using System.Net;
using Berth.Server.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using static Berth.Server.Tests.Support.ConditionalScenario;

namespace Berth.Server.Tests.Conditional;

/// <summary>
/// Conditional reads of manifests: cases 1–19 of section 6 of the conditional-requests design
/// reference (RFC 9110 §13 on GET/HEAD). Case 18 needs a private repository, and the unauthenticated
/// half of case 1 a 401; Berth has no authentication yet, so both are left for when it does.
/// </summary>
public sealed class ConditionalReadTests(InProcessBerthFixture fixture) : IClassFixture<InProcessBerthFixture>
{
    private const string Signal = ConditionalAssert.Signal;

    private Task<ConditionalScenario> ScenarioAsync(string repository) => CreateAsync(fixture.Client, repository);

    private static async Task AssertNotModifiedAsync(HttpResponseMessage response, string digest, string cacheControl)
    {
        // RFC 9110 §15.4.5: a 304 has no content and carries the headers a 200 would have had.
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        Assert.Equal(Quoted(digest), response.Header("ETag"));
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        Assert.Equal(cacheControl, response.RawHeader("Cache-Control"));
        Assert.Equal("yes", response.Header(Signal));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Case01_BaseEndpoint_AnnouncesConditionalSupport()
    {
        using var get = await fixture.Client.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("yes", get.Header(Signal));
        using var head = await fixture.Client.SendAsync(HttpMethod.Head, "/v2/");
        Assert.Equal("yes", head.Header(Signal));
        // §5.3: the signal is on every /v2/ response, errors included, so a client can rely on it anywhere.
        using var unknown = await fixture.Client.GetAsync("/v2/reads/case01/manifests/nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("yes", unknown.Header(Signal));
    }

    [Fact]
    public async Task Case02_GetByTag_HasStrongETagEqualToTheDigest()
    {
        var s = await ScenarioAsync("reads/case02");
        using var response = await s.GetAsync(Tag);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Quoted(s.D1), response.Header("ETag"));
        Assert.Equal(s.D1, response.Header("Docker-Content-Digest"));
        Assert.Equal("yes", response.Header(Signal));
        // A tag may move at any time (design doc §5.1): revalidate every use, never transform.
        Assert.Equal("no-cache, no-transform", response.RawHeader("Cache-Control"));
        Assert.NotEqual("", response.Header("Last-Modified"));
        Assert.Equal(s.M1, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Case03_HeadByTagAndGetByDigest_CarryTheSameETag()
    {
        var s = await ScenarioAsync("reads/case03");
        using var head = await s.HeadAsync(Tag);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(Quoted(s.D1), head.Header("ETag"));
        Assert.Equal(s.D1, head.Header("Docker-Content-Digest"));
        Assert.Equal("yes", head.Header(Signal));
        Assert.Equal(s.M1.Length, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        using var byDigest = await s.GetAsync(s.D1);
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
        Assert.Equal(Quoted(s.D1), byDigest.Header("ETag"));
        // By-digest content never changes (design doc §5.1).
        Assert.Equal("max-age=31536000, immutable", byDigest.RawHeader("Cache-Control"));
        Assert.Equal(s.M1, await byDigest.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Case04_GetWithMatchingIfNoneMatch_Is304WithTheHeadersOfA200()
    {
        var s = await ScenarioAsync("reads/case04");
        using var full = await s.GetAsync(Tag);
        using var response = await s.GetAsync(Tag, ("If-None-Match", Quoted(s.D1)));
        await AssertNotModifiedAsync(response, s.D1, "no-cache, no-transform");
        Assert.Equal(full.Header("Last-Modified"), response.Header("Last-Modified"));
    }

    [Fact]
    public async Task Case04_GetByDigestWithMatchingIfNoneMatch_Is304WithImmutableCaching()
    {
        var s = await ScenarioAsync("reads/case04d");
        using var response = await s.GetAsync(s.D1, ("If-None-Match", Quoted(s.D1)));
        await AssertNotModifiedAsync(response, s.D1, "max-age=31536000, immutable");
    }

    [Fact]
    public async Task Case05_HeadWithMatchingIfNoneMatch_Is304()
    {
        var s = await ScenarioAsync("reads/case05");
        using var response = await s.HeadAsync(Tag, ("If-None-Match", Quoted(s.D1)));
        await AssertNotModifiedAsync(response, s.D1, "no-cache, no-transform");
    }

    [Fact]
    public async Task Case06_GetWithOtherIfNoneMatch_Is200WithBody()
    {
        var s = await ScenarioAsync("reads/case06");
        using var response = await s.GetAsync(Tag, ("If-None-Match", Quoted(s.D2)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Quoted(s.D1), response.Header("ETag"));
        Assert.Equal(s.M1, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Case06_RevalidatingAfterTheTagMoved_Returns200WithTheNewETag()
    {
        // Use case 6 (revalidation): the cached copy is stale, so the client gets the new one.
        var s = await ScenarioAsync("reads/case06m");
        using var moved = await s.PutAsync(Tag, s.M2);
        Assert.Equal(HttpStatusCode.Created, moved.StatusCode);
        using var response = await s.GetAsync(Tag, ("If-None-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Quoted(s.D2), response.Header("ETag"));
        Assert.Equal(s.M2, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Case07_IfNoneMatchListContainingTheCurrentTag_Is304()
    {
        var s = await ScenarioAsync("reads/case07");
        using var response = await s.GetAsync(Tag, ("If-None-Match", $"{Quoted(s.D2)}, {Quoted(s.D1)}"));
        await AssertNotModifiedAsync(response, s.D1, "no-cache, no-transform");
    }

    [Fact]
    public async Task Case08_IfNoneMatchOnTwoFieldLines_IsOneList()
    {
        // RFC 9110 §5.3: two field lines are one list; HttpClient would fold them, so send raw lines.
        var s = await ScenarioAsync("reads/case08");
        var hit = await RawHttp.SendAsync(fixture.Berth.Address, "GET", s.TagPath,
            [("If-None-Match", Quoted(s.D2)), ("If-None-Match", Quoted(s.D1))]);
        Assert.Equal(304, hit.Status);
        Assert.Equal(Quoted(s.D1), hit.Header("ETag"));
        Assert.Empty(hit.Body);

        var miss = await RawHttp.SendAsync(fixture.Berth.Address, "GET", s.TagPath,
            [("If-None-Match", Quoted(s.D2)), ("If-None-Match", Quoted(s.D3))]);
        Assert.Equal(200, miss.Status);
        Assert.Equal(s.M1, miss.Body);
    }

    [Fact]
    public async Task Case09_WeakIfNoneMatch_UsesWeakComparison()
    {
        var s = await ScenarioAsync("reads/case09");
        using var response = await s.GetAsync(Tag, ("If-None-Match", $"W/{Quoted(s.D1)}"));
        await AssertNotModifiedAsync(response, s.D1, "no-cache, no-transform");
    }

    [Fact]
    public async Task Case10_IfNoneMatchStarOnAnExistingTag_Is304()
    {
        var s = await ScenarioAsync("reads/case10");
        using var response = await s.GetAsync(Tag, ("If-None-Match", "*"));
        await AssertNotModifiedAsync(response, s.D1, "no-cache, no-transform");
    }

    [Fact]
    public async Task Case11_IfNoneMatchStarOnAMissingTag_Is404()
    {
        // RFC 9110 §13.2.1: preconditions are ignored when the response would not be 2xx/412 anyway.
        var s = await ScenarioAsync("reads/case11");
        using var response = await s.GetAsync("u", ("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("MANIFEST_UNKNOWN", await response.ErrorCodeAsync());
        Assert.Equal("yes", response.Header(Signal));

        using var unknownRepository = await fixture.Client.SendAsync(HttpMethod.Get, "/v2/reads/case11-none/manifests/u",
            [("If-None-Match", "*")]);
        Assert.Equal(HttpStatusCode.NotFound, unknownRepository.StatusCode);
        Assert.Equal("NAME_UNKNOWN", await unknownRepository.ErrorCodeAsync());
    }

    [Fact]
    public async Task Case12_IfMatchOnAMissingTag_Is404Not412()
    {
        var s = await ScenarioAsync("reads/case12");
        using var response = await s.GetAsync("u", ("If-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("MANIFEST_UNKNOWN", await response.ErrorCodeAsync());
        using var star = await s.GetAsync("u", ("If-Match", "*"));
        Assert.Equal(HttpStatusCode.NotFound, star.StatusCode);
    }

    [Fact]
    public async Task Case13_GetWithStaleIfMatch_Is412()
    {
        // §13.1.1: a false If-Match is 412 for every method, GET included.
        var s = await ScenarioAsync("reads/case13");
        using var response = await s.GetAsync(Tag, ("If-Match", Quoted(s.D2)));
        await ConditionalAssert.PreconditionFailedAsync(response, s.D1);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        using var head = await s.HeadAsync(Tag, ("If-Match", Quoted(s.D2)));
        Assert.Equal(HttpStatusCode.PreconditionFailed, head.StatusCode);
    }

    [Fact]
    public async Task Case14_GetWithCurrentIfMatch_Is200()
    {
        var s = await ScenarioAsync("reads/case14");
        using var response = await s.GetAsync(Tag, ("If-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(s.M1, await response.Content.ReadAsByteArrayAsync());
        using var star = await s.GetAsync(Tag, ("If-Match", "*"));
        Assert.Equal(HttpStatusCode.OK, star.StatusCode);
        using var byDigest = await s.GetAsync(s.D1, ("If-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.OK, byDigest.StatusCode);
    }

    [Fact]
    public async Task Case15_IfMatchIsEvaluatedBeforeIfNoneMatch()
    {
        // §13.2.2 step 1 before step 3: 412, although If-None-Match alone would give 304.
        var s = await ScenarioAsync("reads/case15");
        using var response = await s.GetAsync(Tag, ("If-Match", Quoted(s.D2)), ("If-None-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
    }

    [Fact]
    public async Task Case16_IfModifiedSinceIsIgnoredWhenIfNoneMatchIsPresent()
    {
        // §13.1.3: with If-None-Match present, If-Modified-Since (even in the future) is not evaluated.
        var s = await ScenarioAsync("reads/case16");
        using var response = await s.GetAsync(Tag,
            ("If-None-Match", Quoted(s.D2)), ("If-Modified-Since", Berth.Oci.Preconditions.HttpDate.Format(DateTimeOffset.UtcNow.AddDays(1))));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(s.M1, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Case17_IfModifiedSinceAtOrAfterLastModified_Is304()
    {
        var s = await ScenarioAsync("reads/case17");
        using var full = await s.GetAsync(Tag);
        var lastModified = full.Header("Last-Modified");
        Assert.True(Berth.Oci.Preconditions.HttpDate.TryParse(lastModified, out var when));

        using var same = await s.GetAsync(Tag, ("If-Modified-Since", lastModified));
        await AssertNotModifiedAsync(same, s.D1, "no-cache, no-transform");
        using var later = await s.GetAsync(Tag, ("If-Modified-Since", Berth.Oci.Preconditions.HttpDate.Format(when.AddHours(1))));
        Assert.Equal(HttpStatusCode.NotModified, later.StatusCode);

        // Modified after the given date: the full representation.
        using var earlier = await s.GetAsync(Tag, ("If-Modified-Since", Berth.Oci.Preconditions.HttpDate.Format(when.AddHours(-1))));
        Assert.Equal(HttpStatusCode.OK, earlier.StatusCode);
        Assert.Equal(s.M1, await earlier.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Case17_LastModifiedIsWhenTheTagLastMoved()
    {
        // Issue 3: a tag's Last-Modified is when it last moved, so a date-based revalidation after a
        // move must not be answered 304.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var berth = await InProcessBerth.StartAsync(time: time);
        var s = await CreateAsync(berth.Client, "reads/case17m");
        using var before = await s.GetAsync(Tag);
        var firstDate = before.Header("Last-Modified");
        time.Advance(TimeSpan.FromSeconds(1)); // HTTP dates have one-second resolution.
        using (var moved = await s.PutAsync(Tag, s.M2)) Assert.Equal(HttpStatusCode.Created, moved.StatusCode);
        using var response = await s.GetAsync(Tag, ("If-Modified-Since", firstDate));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Quoted(s.D2), response.Header("ETag"));
        Assert.NotEqual(firstDate, response.Header("Last-Modified"));
    }

    [Fact]
    public async Task IfUnmodifiedSinceBeforeTheLastMove_Is412_UnlessIfMatchIsPresent()
    {
        // §13.2.2 step 2, and §13.1.4: If-Unmodified-Since is ignored when If-Match is present.
        var s = await ScenarioAsync("reads/ius");
        var past = Berth.Oci.Preconditions.HttpDate.Format(DateTimeOffset.UtcNow.AddHours(-1));
        using var stale = await s.GetAsync(Tag, ("If-Unmodified-Since", past));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        using var withIfMatch = await s.GetAsync(Tag, ("If-Match", Quoted(s.D1)), ("If-Unmodified-Since", past));
        Assert.Equal(HttpStatusCode.OK, withIfMatch.StatusCode);
        var future = Berth.Oci.Preconditions.HttpDate.Format(DateTimeOffset.UtcNow.AddHours(1));
        using var fresh = await s.GetAsync(Tag, ("If-Unmodified-Since", future));
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [Theory]
    [InlineData("If-None-Match", "garbage")]
    [InlineData("If-None-Match", "\"unterminated")]
    [InlineData("If-Match", "garbage")]
    [InlineData("If-Match", "*, \"x\"")]
    [InlineData("If-Modified-Since", "not a date")]
    [InlineData("If-Unmodified-Since", "not a date")]
    public async Task Case19_MalformedConditionalOnARead_IsIgnored(string header, string value)
    {
        // Design doc §5.2: on a safe method a malformed conditional is ignored; a read cannot lose an update.
        var s = await ScenarioAsync("reads/case19-" + header.ToLowerInvariant().Replace("if-", "", StringComparison.Ordinal)
            + "-" + (uint)value.GetHashCode(StringComparison.Ordinal));
        using var response = await s.GetAsync(Tag, (header, value));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(s.M1, await response.Content.ReadAsByteArrayAsync());
    }
}
