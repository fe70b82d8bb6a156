using System.Net;
using System.Text.Json;
using Berth.Oci.Preconditions;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.ConditionalScenario;

namespace Berth.Server.Tests.Conditional;

/// <summary>
/// Conditional manifest PUTs: cases 20–44 of section 6 of the conditional-requests design reference.
/// Case 37 needs a pull-only token and case 44 a read-only registry; Berth has neither authentication
/// nor a read-only mode yet, so both are deferred (the 405-before-412 rule is checked on a method that
/// is not allowed instead).
/// </summary>
public sealed class ConditionalWriteTests(InProcessBerthFixture fixture) : IClassFixture<InProcessBerthFixture>
{
    private const string Signal = ConditionalAssert.Signal;

    private Task<ConditionalScenario> ScenarioAsync(string repository) => CreateAsync(fixture.Client, repository);

    /// <summary>After a refused write: t still at D1 and the refused manifest not stored anywhere.</summary>
    private static async Task AssertUnchangedAsync(ConditionalScenario s, string refusedDigest)
    {
        Assert.Equal(s.D1, await s.CurrentDigestAsync());
        Assert.Equal(HttpStatusCode.NotFound, await s.ManifestStatusAsync(refusedDigest));
    }

    [Fact]
    public async Task Case20_PutWithCurrentIfMatch_Is201WithTheNewETag()
    {
        var s = await ScenarioAsync("writes/case20");
        using var response = await s.PutAsync(Tag, s.M2, ("If-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        // RFC 9110 §9.3.4: the bytes are stored untransformed, so the PUT may carry the new ETag.
        Assert.Equal(Quoted(s.D2), response.Header("ETag"));
        Assert.Equal(s.D2, response.Header("Docker-Content-Digest"));
        Assert.Equal("yes", response.Header(Signal));

        using var get = await s.GetAsync(Tag);
        Assert.Equal(Quoted(s.D2), get.Header("ETag"));
        Assert.Equal(s.M2, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Case21_PutWithStaleIfMatch_Is412AndChangesNothing()
    {
        var s = await ScenarioAsync("writes/case21");
        using (var first = await s.PutAsync(Tag, s.M2, ("If-Match", Quoted(s.D1)))) Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        using var stale = await s.PutAsync(Tag, s.M3, ("If-Match", Quoted(s.D1)));
        // The 412 names the tag's current ETag as a hint (design doc §5.2 "412 body").
        await ConditionalAssert.PreconditionFailedAsync(stale, s.D2);
        Assert.Contains(Quoted(s.D2), await stale.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(s.D2, await s.CurrentDigestAsync());
        Assert.Equal(HttpStatusCode.NotFound, await s.ManifestStatusAsync(s.D3));
    }

    [Fact]
    public async Task Case22_IfMatchListContainingTheCurrentTag_Is201()
    {
        var s = await ScenarioAsync("writes/case22");
        using var response = await s.PutAsync(Tag, s.M3, ("If-Match", $"{Quoted(D9)}, {Quoted(s.D1)}"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(s.D3, await s.CurrentDigestAsync());
    }

    [Fact]
    public async Task Case22_IfMatchOnSeveralFieldLines_IsOneList()
    {
        // RFC 9110 §5.3: every field line counts; a server reading only the first would 412 here.
        var s = await ScenarioAsync("writes/case22l");
        var response = await RawHttp.SendAsync(fixture.Berth.Address, "PUT", s.TagPath,
            [("If-Match", Quoted(D9)), ("If-Match", Quoted(s.D1))], s.M2, MediaTypes.OciManifest);
        Assert.Equal(201, response.Status);
        Assert.Equal(s.D2, await s.CurrentDigestAsync());
    }

    [Fact]
    public async Task Case23_IfMatchStarOnAnExistingTag_Is201()
    {
        var s = await ScenarioAsync("writes/case23");
        using var response = await s.PutAsync(Tag, s.M2, ("If-Match", "*"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(s.D2, await s.CurrentDigestAsync());
    }

    [Fact]
    public async Task Case24_IfMatchStarOnANewTag_Is412AndTheTagIsNotCreated()
    {
        var s = await ScenarioAsync("writes/case24");
        using var response = await s.PutAsync("n", s.M2, ("If-Match", "*"));
        await ConditionalAssert.PreconditionFailedAsync(response, null);
        Assert.Contains("does not currently exist", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var get = await s.GetAsync("n");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, await s.ManifestStatusAsync(s.D2));
    }

    [Fact]
    public async Task Case25_IfMatchOnANewTag_Is412()
    {
        var s = await ScenarioAsync("writes/case25");
        using var response = await s.PutAsync("n", s.M2, ("If-Match", Quoted(s.D1)));
        await ConditionalAssert.PreconditionFailedAsync(response, null);
        Assert.Null(await s.CurrentDigestAsync("n"));
    }

    [Fact]
    public async Task Case26_IfNoneMatchStarOnANewTag_Is201()
    {
        var s = await ScenarioAsync("writes/case26");
        using var response = await s.PutAsync("n", s.M2, ("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(Quoted(s.D2), response.Header("ETag"));
        Assert.Equal(s.D2, await s.CurrentDigestAsync("n"));
    }

    [Fact]
    public async Task Case27_IfNoneMatchStarOnAnExistingTag_Is412EvenForTheIdenticalBody()
    {
        var s = await ScenarioAsync("writes/case27");
        using var response = await s.PutAsync(Tag, s.M1, ("If-None-Match", "*"));
        await ConditionalAssert.PreconditionFailedAsync(response, s.D1);
        using var other = await s.PutAsync(Tag, s.M2, ("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, other.StatusCode);
        await AssertUnchangedAsync(s, s.D2);
    }

    [Fact]
    public async Task Case28_IfNoneMatchWithTheCurrentTag_Is412_WithAnotherTag_Is201()
    {
        // §13.1.2: a false If-None-Match is 412 (never 304) on methods other than GET/HEAD.
        var s = await ScenarioAsync("writes/case28");
        using var current = await s.PutAsync(Tag, s.M2, ("If-None-Match", Quoted(s.D1)));
        await ConditionalAssert.PreconditionFailedAsync(current, s.D1);
        await AssertUnchangedAsync(s, s.D2);

        using var weak = await s.PutAsync(Tag, s.M2, ("If-None-Match", $"W/{Quoted(s.D1)}"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, weak.StatusCode); // weak comparison for If-None-Match

        using var other = await s.PutAsync(Tag, s.M2, ("If-None-Match", Quoted(D9)));
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        Assert.Equal(s.D2, await s.CurrentDigestAsync());
    }

    [Fact]
    public async Task Case29_WeakIfMatch_Is412()
    {
        // §13.1.1: If-Match uses strong comparison; a weak tag never matches.
        var s = await ScenarioAsync("writes/case29");
        using var response = await s.PutAsync(Tag, s.M2, ("If-Match", $"W/{Quoted(s.D1)}"));
        await ConditionalAssert.PreconditionFailedAsync(response, s.D1);
        await AssertUnchangedAsync(s, s.D2);
    }

    [Fact]
    public async Task Case30_BareDigestInIfMatch_IsAcceptedAsIfQuoted()
    {
        var s = await ScenarioAsync("writes/case30");
        using var response = await s.PutAsync(Tag, s.M2, ("If-Match", s.D1));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(s.D2, await s.CurrentDigestAsync());
        // ...and compared like a quoted one: a stale bare digest is still 412.
        using var stale = await s.PutAsync(Tag, s.M3, ("If-Match", s.D1));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
    }

    [Theory]
    [InlineData("case31", "If-Match", "\"{D1}")] // unterminated
    [InlineData("case33", "If-Match", "*, \"{D1}\"")] // "*" mixed with tags
    [InlineData("case31g", "If-Match", "garbage")]
    [InlineData("case31w", "If-Match", "W/{D1}")]
    [InlineData("case31n", "If-None-Match", "\"{D9}")]
    [InlineData("case31s", "If-None-Match", "*, \"{D9}\"")]
    [InlineData("case31d", "If-Unmodified-Since", "yesterday")]
    public async Task Case31And33_MalformedConditionalOnAPut_Is400AndNothingIsWritten(string name, string header, string pattern)
    {
        // Design doc §5.2 "fail closed": dropping the bad header would perform an unconditional write.
        var s = await ScenarioAsync("writes/" + name);
        var value = pattern.Replace("{D1}", s.D1, StringComparison.Ordinal).Replace("{D9}", D9, StringComparison.Ordinal);
        using var response = await s.PutAsync(Tag, s.M2, (header, value));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("yes", response.Header(Signal));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains(header, body, StringComparison.Ordinal);
        Assert.Contains("Nothing was written", body, StringComparison.Ordinal);
        await AssertUnchangedAsync(s, s.D2);
    }

    [Fact]
    public async Task Case31_MalformedSecondFieldLine_Is400()
    {
        // A valid first line must not hide an invalid second one.
        var s = await ScenarioAsync("writes/case31l");
        var response = await RawHttp.SendAsync(fixture.Berth.Address, "PUT", s.TagPath,
            [("If-Match", Quoted(s.D1)), ("If-Match", "\"unterminated")], s.M2, MediaTypes.OciManifest);
        Assert.Equal(400, response.Status);
        await AssertUnchangedAsync(s, s.D2);
    }

    [Fact]
    public async Task Case32_EmptyIfMatch_Is400AndNothingIsWritten()
    {
        // HttpClient cannot send an empty header value, so this goes over a raw socket.
        var s = await ScenarioAsync("writes/case32");
        var response = await RawHttp.SendAsync(fixture.Berth.Address, "PUT", s.TagPath,
            [("If-Match", "")], s.M2, MediaTypes.OciManifest);
        Assert.Equal(400, response.Status);
        Assert.Contains("If-Match", response.Text, StringComparison.Ordinal);
        await AssertUnchangedAsync(s, s.D2);

        var noneMatch = await RawHttp.SendAsync(fixture.Berth.Address, "PUT", s.TagPath,
            [("If-None-Match", "  ")], s.M2, MediaTypes.OciManifest);
        Assert.Equal(400, noneMatch.Status);
        await AssertUnchangedAsync(s, s.D2);
    }

    [Fact]
    public async Task Case34_EmptyQuotedIfMatch_Is412()
    {
        // "" is a well-formed entity tag that no representation has: a failed precondition, not a 400.
        var s = await ScenarioAsync("writes/case34");
        using var response = await s.PutAsync(Tag, s.M2, ("If-Match", "\"\""));
        await ConditionalAssert.PreconditionFailedAsync(response, s.D1);
        await AssertUnchangedAsync(s, s.D2);
    }

    [Fact]
    public async Task Case35_CurrentIfMatchWithAnInvalidBody_IsManifestInvalid()
    {
        var s = await ScenarioAsync("writes/case35");
        using var response = await s.PutAsync(Tag, "{\"schemaVersion\":"u8.ToArray(), ("If-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("MANIFEST_INVALID", await response.ErrorCodeAsync());
        Assert.Equal(s.D1, await s.CurrentDigestAsync());
    }

    [Fact]
    public async Task Case36_StaleIfMatchWithAnInvalidBody_Is412()
    {
        // Design doc §5.2 handler order: the precondition (step 6) is checked before the body (step 7).
        var s = await ScenarioAsync("writes/case36");
        using var response = await s.PutAsync(Tag, "{\"schemaVersion\":"u8.ToArray(), ("If-Match", Quoted(D9)));
        await ConditionalAssert.PreconditionFailedAsync(response, s.D1);
    }

    [Fact]
    public async Task Case36_OversizedBodyWithStaleIfMatch_Is413()
    {
        // Design doc §5.2 handler order: the size limit (step 5) comes before the precondition (step 6),
        // so a client learns its manifest can never be accepted, whatever the tag's state.
        var s = await ScenarioAsync("writes/case36big");
        var huge = new byte[4 * 1024 * 1024 + 1];
        using var response = await s.PutAsync(Tag, huge, ("If-Match", Quoted(D9)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(s.D1, await s.CurrentDigestAsync());
    }

    [Fact]
    public async Task Case38_IfUnmodifiedSinceIsIgnoredWhenIfMatchIsPresent()
    {
        var s = await ScenarioAsync("writes/case38");
        using var response = await s.PutAsync(Tag, s.M2,
            ("If-Match", Quoted(s.D1)), ("If-Unmodified-Since", HttpDate.Format(DateTimeOffset.UtcNow.AddYears(-1))));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(s.D2, await s.CurrentDigestAsync());
    }

    [Fact]
    public async Task Case39_IfUnmodifiedSinceBeforeTheLastMove_Is412()
    {
        var s = await ScenarioAsync("writes/case39");
        using var stale = await s.PutAsync(Tag, s.M2, ("If-Unmodified-Since", HttpDate.Format(DateTimeOffset.UtcNow.AddHours(-1))));
        await ConditionalAssert.PreconditionFailedAsync(stale, s.D1);
        await AssertUnchangedAsync(s, s.D2);

        // The tag's own Last-Modified is "not modified since", at HTTP-date resolution.
        using var read = await s.HeadAsync(Tag);
        using var fresh = await s.PutAsync(Tag, s.M2, ("If-Unmodified-Since", read.Header("Last-Modified")));
        Assert.Equal(HttpStatusCode.Created, fresh.StatusCode);
        Assert.Equal(s.D2, await s.CurrentDigestAsync());
    }

    [Fact]
    public async Task Case40_IfModifiedSinceOnAPut_IsIgnored()
    {
        // §13.1.3: If-Modified-Since applies to GET/HEAD only; a future date that would give a 304 on a
        // GET neither blocks the PUT nor makes it "conditional".
        var s = await ScenarioAsync("writes/case40");
        using var response = await s.PutAsync(Tag, s.M2, ("If-Modified-Since", HttpDate.Format(DateTimeOffset.UtcNow.AddDays(1))));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(s.D2, await s.CurrentDigestAsync());
        using var garbage = await s.PutAsync(Tag, s.M3, ("If-Modified-Since", "not a date"));
        Assert.Equal(HttpStatusCode.Created, garbage.StatusCode);
    }

    [Fact]
    public async Task Case41_IfNoneMatchStarByDigest_IsTheNonDestructiveProbe()
    {
        // Design doc §5.4: re-putting an existing manifest by digest with If-None-Match: * is 412 on a
        // registry that honours preconditions, and a harmless idempotent 201 on one that does not.
        var s = await ScenarioAsync("writes/case41");
        using (var pushed = await s.PutAsync(s.D2, s.M2)) Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        using var probe = await s.PutAsync(s.D2, s.M2, ("If-None-Match", "*"));
        await ConditionalAssert.PreconditionFailedAsync(probe, s.D2);

        var m4 = s.Manifest(4);
        var d4 = Sha256(m4);
        using var absent = await s.PutAsync(d4, m4, ("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.Created, absent.StatusCode);
        Assert.Equal(HttpStatusCode.OK, await s.ManifestStatusAsync(d4));
    }

    [Fact]
    public async Task PutByDigestWithIfMatch_IsEvaluatedAgainstThatDigest()
    {
        // Design doc §5.2: a PUT by digest without ?tag= is evaluated normally.
        var s = await ScenarioAsync("writes/bydigest");
        using var missing = await s.PutAsync(s.D2, s.M2, ("If-Match", "*"));
        await ConditionalAssert.PreconditionFailedAsync(missing, null);
        Assert.Equal(HttpStatusCode.NotFound, await s.ManifestStatusAsync(s.D2));
        using var present = await s.PutAsync(s.D1, s.M1, ("If-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.Created, present.StatusCode);
    }

    [Theory]
    [InlineData("If-None-Match", "*")]
    [InlineData("If-Match", "*")]
    [InlineData("If-Match", "\"{D1}\"")]
    [InlineData("If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")]
    public async Task Case42_ConditionalMultiTagPush_Is400Unsupported(string header, string pattern)
    {
        // The target of PUT /manifests/<digest>?tag= is the digest: evaluating against it would look
        // like tag protection while protecting nothing (design doc §5.2 "Multi-tag push").
        var s = await ScenarioAsync("writes/case42-" + header.ToLowerInvariant() + "-" + (uint)pattern.GetHashCode(StringComparison.Ordinal));
        using (var a = await s.PutAsync("a", s.M1)) Assert.Equal(HttpStatusCode.Created, a.StatusCode);
        var value = pattern.Replace("{D1}", s.D1, StringComparison.Ordinal);
        using var response = await s.Client.SendAsync(HttpMethod.Put, s.ManifestPath(s.D2) + "?tag=a&tag=b",
            [(header, value)], ManifestContent(s.M2));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("UNSUPPORTED", await response.ErrorCodeAsync());
        Assert.Equal(s.D1, await s.CurrentDigestAsync("a"));
        Assert.Null(await s.CurrentDigestAsync("b"));
        Assert.Equal(HttpStatusCode.NotFound, await s.ManifestStatusAsync(s.D2));
    }

    [Fact]
    public async Task Case42_MultiTagPushWithOnlyIfModifiedSince_IsNotConditional()
    {
        // If-Modified-Since never applies to a PUT (§13.1.3), so it does not trigger the 400.
        var s = await ScenarioAsync("writes/case42ims");
        using var response = await s.Client.SendAsync(HttpMethod.Put, s.ManifestPath(s.D2) + "?tag=a",
            [("If-Modified-Since", HttpDate.Format(DateTimeOffset.UtcNow))], ManifestContent(s.M2));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(s.D2, await s.CurrentDigestAsync("a"));
    }

    [Fact]
    public async Task Case43_UnconditionalMultiTagPush_Is201WithOciTag()
    {
        var s = await ScenarioAsync("writes/case43");
        using var response = await s.Client.SendAsync(HttpMethod.Put, s.ManifestPath(s.D2) + "?tag=a&tag=b", [], ManifestContent(s.M2));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(Quoted(s.D2), response.Header("ETag"));
        Assert.Equal(["a", "b"], response.Headers.GetValues("OCI-Tag").SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)).Order());
        Assert.Equal(s.D2, await s.CurrentDigestAsync("a"));
        Assert.Equal(s.D2, await s.CurrentDigestAsync("b"));
    }

    [Fact]
    public async Task Case44_MethodNotAllowed_WinsOverAPrecondition()
    {
        // Case 44 proper needs a read-only registry, which Berth does not have. The rule behind it
        // (RFC 9110 §13.2.1: a response that would be 405 without the precondition stays 405) is
        // checked on an endpoint where PUT is never allowed.
        var s = await ScenarioAsync("writes/case44");
        using var response = await s.Client.SendAsync(HttpMethod.Put, $"/v2/{s.Repository}/blobs/{s.B}",
            [("If-Match", Quoted(D9))], new ByteArrayContent(s.Blob));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("UNSUPPORTED", await response.ErrorCodeAsync());
    }

    [Fact]
    public async Task PreconditionFailureOnAnUnknownRepository_CreatesNoRepository()
    {
        // A 412 must not leave the repository behind in the catalog (design doc §5.2 "Atomicity").
        // The body is an index with no children, so the push needs no blobs in the new repository.
        var index = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}"u8.ToArray();
        using var response = await fixture.Client.SendAsync(HttpMethod.Put, "/v2/writes/ghost/manifests/t",
            [("If-Match", "*")], ManifestContent(index, MediaTypes.OciIndex));
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        using var catalog = await fixture.Client.GetAsync("/v2/_catalog");
        using var document = JsonDocument.Parse(await catalog.Content.ReadAsStringAsync());
        Assert.DoesNotContain("writes/ghost", document.RootElement.GetProperty("repositories").EnumerateArray().Select(e => e.GetString()));
        using var tags = await fixture.Client.GetAsync("/v2/writes/ghost/tags/list");
        Assert.Equal(HttpStatusCode.NotFound, tags.StatusCode);
    }
}
