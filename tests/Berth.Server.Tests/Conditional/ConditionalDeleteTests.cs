using System.Net;
using Berth.Oci.Preconditions;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.ConditionalScenario;

namespace Berth.Server.Tests.Conditional;

/// <summary>
/// Conditional deletes of tags and manifests: cases 45–50 of section 6 of the conditional-requests
/// design reference (use case 5, "conditional untag"). Case 50 needs a registry with deletion
/// disabled; Berth always allows deletion, so it is deferred until such a mode exists.
/// </summary>
public sealed class ConditionalDeleteTests(InProcessBerthFixture fixture) : IClassFixture<InProcessBerthFixture>
{
    private Task<ConditionalScenario> ScenarioAsync(string repository) => CreateAsync(fixture.Client, repository);

    [Fact]
    public async Task Case45_DeleteTagWithCurrentIfMatch_Is202()
    {
        var s = await ScenarioAsync("deletes/case45");
        using var response = await s.DeleteAsync(Tag, ("If-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("yes", response.Header(ConditionalAssert.Signal));
        using var get = await s.GetAsync(Tag);
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        // Deleting a tag removes only the tag, not the manifest (end-9).
        Assert.Equal(HttpStatusCode.OK, await s.ManifestStatusAsync(s.D1));
    }

    [Fact]
    public async Task Case46_DeleteTagWithStaleIfMatch_Is412AndTheTagRemains()
    {
        var s = await ScenarioAsync("deletes/case46");
        using var response = await s.DeleteAsync(Tag, ("If-Match", Quoted(s.D2)));
        await ConditionalAssert.PreconditionFailedAsync(response, s.D1);
        Assert.Equal(s.D1, await s.CurrentDigestAsync());
    }

    [Fact]
    public async Task Case46_DeleteAfterSomeoneElseMovedTheTag_Is412()
    {
        // Use case 5: a client untagging "the version it saw" must not delete a newer one.
        var s = await ScenarioAsync("deletes/case46m");
        using (var moved = await s.PutAsync(Tag, s.M2, ("If-Match", Quoted(s.D1)))) Assert.Equal(HttpStatusCode.Created, moved.StatusCode);
        using var response = await s.DeleteAsync(Tag, ("If-Match", Quoted(s.D1)));
        await ConditionalAssert.PreconditionFailedAsync(response, s.D2);
        Assert.Equal(s.D2, await s.CurrentDigestAsync());
    }

    [Fact]
    public async Task Case47_DeleteMissingTagWithIfMatch_Is404()
    {
        // RFC 9110 §13.2.1: what would be 404 without the precondition stays 404.
        var s = await ScenarioAsync("deletes/case47");
        using var response = await s.DeleteAsync("u", ("If-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("MANIFEST_UNKNOWN", await response.ErrorCodeAsync());
        using var star = await s.DeleteAsync("u", ("If-Match", "*"));
        Assert.Equal(HttpStatusCode.NotFound, star.StatusCode);
        using var byDigest = await s.DeleteAsync(D9, ("If-Match", Quoted(D9)));
        Assert.Equal(HttpStatusCode.NotFound, byDigest.StatusCode);
    }

    [Fact]
    public async Task Case48_DeleteTagWithIfNoneMatchStar_Is412()
    {
        var s = await ScenarioAsync("deletes/case48");
        using var response = await s.DeleteAsync(Tag, ("If-None-Match", "*"));
        await ConditionalAssert.PreconditionFailedAsync(response, s.D1);
        Assert.Equal(s.D1, await s.CurrentDigestAsync());
        using var current = await s.DeleteAsync(Tag, ("If-None-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.PreconditionFailed, current.StatusCode);
        // An If-None-Match naming another tag holds, so the delete proceeds.
        using var other = await s.DeleteAsync(Tag, ("If-None-Match", Quoted(s.D2)));
        Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        Assert.Null(await s.CurrentDigestAsync());
    }

    [Fact]
    public async Task Case49_DeleteByDigest_IsEvaluatedAgainstTheDigest()
    {
        var s = await ScenarioAsync("deletes/case49");
        using var stale = await s.DeleteAsync(s.D1, ("If-Match", Quoted(s.D2)));
        await ConditionalAssert.PreconditionFailedAsync(stale, s.D1);
        Assert.Equal(HttpStatusCode.OK, await s.ManifestStatusAsync(s.D1));
        Assert.Equal(s.D1, await s.CurrentDigestAsync());

        using var current = await s.DeleteAsync(s.D1, ("If-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.Accepted, current.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, await s.ManifestStatusAsync(s.D1));
        // Deleting by digest takes the manifest's tags with it (end-9).
        Assert.Null(await s.CurrentDigestAsync());
    }

    [Fact]
    public async Task DeleteTagWithIfUnmodifiedSinceBeforeTheLastMove_Is412()
    {
        var s = await ScenarioAsync("deletes/ius");
        using var stale = await s.DeleteAsync(Tag, ("If-Unmodified-Since", HttpDate.Format(DateTimeOffset.UtcNow.AddHours(-1))));
        await ConditionalAssert.PreconditionFailedAsync(stale, s.D1);
        Assert.Equal(s.D1, await s.CurrentDigestAsync());
        using var fresh = await s.DeleteAsync(Tag, ("If-Unmodified-Since", HttpDate.Format(DateTimeOffset.UtcNow.AddHours(1))));
        Assert.Equal(HttpStatusCode.Accepted, fresh.StatusCode);
    }

    [Theory]
    [InlineData("If-Match", "\"unterminated")]
    [InlineData("If-Match", "*, \"x\"")]
    [InlineData("If-None-Match", "garbage")]
    [InlineData("If-Unmodified-Since", "yesterday")]
    public async Task MalformedConditionalOnADelete_Is400AndNothingIsDeleted(string header, string value)
    {
        // Fail closed (design doc §5.2): a delete the client meant to be conditional must not become unconditional.
        var s = await ScenarioAsync("deletes/bad-" + header.ToLowerInvariant() + "-" + (uint)value.GetHashCode(StringComparison.Ordinal));
        using var byTag = await s.DeleteAsync(Tag, (header, value));
        Assert.Equal(HttpStatusCode.BadRequest, byTag.StatusCode);
        Assert.Contains(header, await byTag.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var byDigest = await s.DeleteAsync(s.D1, (header, value));
        Assert.Equal(HttpStatusCode.BadRequest, byDigest.StatusCode);
        Assert.Equal(s.D1, await s.CurrentDigestAsync());
        Assert.Equal(HttpStatusCode.OK, await s.ManifestStatusAsync(s.D1));
    }

    [Fact]
    public async Task EmptyIfMatchOnADelete_Is400()
    {
        var s = await ScenarioAsync("deletes/empty");
        var response = await RawHttp.SendAsync(fixture.Berth.Address, "DELETE", s.TagPath, [("If-Match", "")]);
        Assert.Equal(400, response.Status);
        Assert.Equal(s.D1, await s.CurrentDigestAsync());
    }

    [Fact]
    public async Task IfMatchOnSeveralFieldLines_OnADelete_IsOneList()
    {
        var s = await ScenarioAsync("deletes/lines");
        var response = await RawHttp.SendAsync(fixture.Berth.Address, "DELETE", s.TagPath,
            [("If-Match", Quoted(s.D2)), ("If-Match", Quoted(s.D1))]);
        Assert.Equal(202, response.Status);
        Assert.Null(await s.CurrentDigestAsync());
    }
}
