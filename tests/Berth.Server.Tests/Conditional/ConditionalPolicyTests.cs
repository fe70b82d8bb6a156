using System.Net;
using Berth.Registry;
using Berth.Registry.Policies;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.ConditionalScenario;

namespace Berth.Server.Tests.Conditional;

/// <summary>A server with the two tag-protection policies of issue 3 configured on their own repositories.</summary>
public sealed class PolicyRegistryFixture : InProcessBerthFixture
{
    protected override RegistryOptions ConfigureRegistry(RegistryOptions options) => options with
    {
        Policies =
        [
            // Referrers fallback tags must be updated with a read-modify-write loop (design doc §5.2 "428").
            new RepositoryPolicy { Repositories = "guarded/**", Tags = "sha256-*", RequirePreconditions = true },
            // Release tags are create-only.
            new RepositoryPolicy { Repositories = "releases/**", Tags = "v*", ImmutableTags = true },
        ],
    };
}

/// <summary>
/// Per-repository policies: "require preconditions" (RFC 6585 §3: an unconditional overwrite or delete
/// of an existing matching tag is 428 with an explanation) and "immutable tags" (a matching tag, once
/// created, never moves and is never deleted; 403 DENIED). Tags that do not match are unaffected.
/// </summary>
public sealed class ConditionalPolicyTests(PolicyRegistryFixture fixture) : IClassFixture<PolicyRegistryFixture>
{
    private HttpClient Client => fixture.Berth.Client;

    private const string FallbackTag = "sha256-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private async Task<ConditionalScenario> GuardedAsync(string name)
    {
        var s = await CreateAsync(Client, "guarded/" + name);
        using var created = await s.PutAsync(FallbackTag, s.M1);
        // Creating a tag is never a lost update, so it needs no precondition.
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return s;
    }

    private async Task<ConditionalScenario> ReleasesAsync(string name)
    {
        var s = await CreateAsync(Client, "releases/" + name);
        using var created = await s.PutAsync("v1", s.M1);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return s;
    }

    private static async Task AssertPreconditionRequiredAsync(HttpResponseMessage response, string currentDigest)
    {
        Assert.Equal((HttpStatusCode)428, response.StatusCode);
        Assert.Equal("yes", response.Header(ConditionalAssert.Signal));
        // The current ETag is the hint the client needs to retry (design doc §5.2 "428").
        Assert.Equal(Quoted(currentDigest), response.Header("ETag"));
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("requires conditional", body, StringComparison.Ordinal);
        Assert.Contains($"If-Match: {Quoted(currentDigest)}", body, StringComparison.Ordinal);
        Assert.Contains("If-None-Match: *", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequirePreconditions_UnconditionalOverwrite_Is428AndChangesNothing()
    {
        var s = await GuardedAsync("overwrite");
        using var response = await s.PutAsync(FallbackTag, s.M2);
        await AssertPreconditionRequiredAsync(response, s.D1);
        Assert.Equal(s.D1, await s.CurrentDigestAsync(FallbackTag));
        Assert.Equal(HttpStatusCode.NotFound, await s.ManifestStatusAsync(s.D2));
    }

    [Fact]
    public async Task RequirePreconditions_UnconditionalDelete_Is428()
    {
        var s = await GuardedAsync("delete");
        using var response = await s.DeleteAsync(FallbackTag);
        await AssertPreconditionRequiredAsync(response, s.D1);
        Assert.Equal(s.D1, await s.CurrentDigestAsync(FallbackTag));

        using var conditional = await s.DeleteAsync(FallbackTag, ("If-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.Accepted, conditional.StatusCode);
    }

    [Fact]
    public async Task RequirePreconditions_UnconditionalDeleteByDigestOfATaggedManifest_Is428()
    {
        // Deleting by digest also deletes the manifest's tags; unconditionally, that is the very
        // unconditional tag delete the policy forbids. With If-Match it goes ahead.
        var s = await GuardedAsync("delete-digest");
        using var response = await s.DeleteAsync(s.D1);
        Assert.Equal((HttpStatusCode)428, response.StatusCode);
        Assert.Equal(s.D1, await s.CurrentDigestAsync(FallbackTag));
        Assert.Equal(HttpStatusCode.OK, await s.ManifestStatusAsync(s.D1));

        using var conditional = await s.DeleteAsync(s.D1, ("If-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.Accepted, conditional.StatusCode);
        Assert.Null(await s.CurrentDigestAsync(FallbackTag));
    }

    [Fact]
    public async Task RequirePreconditions_ConditionalWritesGoAhead()
    {
        var s = await GuardedAsync("conditional");
        using var ifMatch = await s.PutAsync(FallbackTag, s.M2, ("If-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.Created, ifMatch.StatusCode);
        // A stale If-Match is an ordinary 412, not a 428: the request was conditional.
        using var stale = await s.PutAsync(FallbackTag, s.M3, ("If-Match", Quoted(s.D1)));
        await ConditionalAssert.PreconditionFailedAsync(stale, s.D2);
        using var ius = await s.PutAsync(FallbackTag, s.M3, ("If-Unmodified-Since", Berth.Oci.Preconditions.HttpDate.Format(DateTimeOffset.UtcNow.AddMinutes(5))));
        Assert.Equal(HttpStatusCode.Created, ius.StatusCode);
        Assert.Equal(s.D3, await s.CurrentDigestAsync(FallbackTag));
    }

    [Fact]
    public async Task RequirePreconditions_IfModifiedSinceDoesNotCount()
    {
        // §13.1.3: If-Modified-Since does not apply to PUT, so it cannot satisfy the policy.
        var s = await GuardedAsync("ims");
        using var response = await s.PutAsync(FallbackTag, s.M2,
            ("If-Modified-Since", Berth.Oci.Preconditions.HttpDate.Format(DateTimeOffset.UtcNow.AddDays(-1))));
        Assert.Equal((HttpStatusCode)428, response.StatusCode);
    }

    [Fact]
    public async Task RequirePreconditions_UnconditionalMultiTagPushOntoAProtectedTag_Is428AndStoresNothing()
    {
        // The refusal comes from inside the storage transaction, which therefore must roll back the
        // manifest it had already written.
        var s = await GuardedAsync("multitag");
        using var response = await s.Client.SendAsync(HttpMethod.Put, s.ManifestPath(s.D2) + $"?tag={FallbackTag}&tag=other", [],
            ManifestContent(s.M2));
        Assert.Equal((HttpStatusCode)428, response.StatusCode);
        Assert.Equal(s.D1, await s.CurrentDigestAsync(FallbackTag));
        Assert.Null(await s.CurrentDigestAsync("other"));
        Assert.Equal(HttpStatusCode.NotFound, await s.ManifestStatusAsync(s.D2));
    }

    [Fact]
    public async Task RequirePreconditions_OnlyAppliesToMatchingTagsAndRepositories()
    {
        var s = await GuardedAsync("scope");
        using (var latest = await s.PutAsync("latest", s.M1)) Assert.Equal(HttpStatusCode.Created, latest.StatusCode);
        using (var moved = await s.PutAsync("latest", s.M2)) Assert.Equal(HttpStatusCode.Created, moved.StatusCode);
        using (var deleted = await s.DeleteAsync("latest")) Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        // A manifest carrying only unprotected tags can be deleted by digest unconditionally.
        using (var byDigest = await s.DeleteAsync(s.D2)) Assert.Equal(HttpStatusCode.Accepted, byDigest.StatusCode);

        var elsewhere = await CreateAsync(Client, "unguarded/scope");
        using (var created = await elsewhere.PutAsync(FallbackTag, elsewhere.M1)) Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using (var overwritten = await elsewhere.PutAsync(FallbackTag, elsewhere.M2)) Assert.Equal(HttpStatusCode.Created, overwritten.StatusCode);
    }

    [Fact]
    public async Task ImmutableTags_ExistingTagCannotMove()
    {
        var s = await ReleasesAsync("move");
        foreach (var headers in new (string, string)[][] { [], [("If-Match", Quoted(s.D1))], [("If-Match", "*")] })
        {
            using var response = await s.PutAsync("v1", s.M2, headers);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("DENIED", await response.ErrorCodeAsync());
            Assert.Contains("immutable", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(s.D1, await s.CurrentDigestAsync("v1"));
        Assert.Equal(HttpStatusCode.NotFound, await s.ManifestStatusAsync(s.D2));
    }

    [Fact]
    public async Task ImmutableTags_ExistingTagCannotBeDeleted()
    {
        var s = await ReleasesAsync("delete");
        using var byTag = await s.DeleteAsync("v1", ("If-Match", Quoted(s.D1)));
        Assert.Equal(HttpStatusCode.Forbidden, byTag.StatusCode);
        Assert.Equal("DENIED", await byTag.ErrorCodeAsync());
        using var unconditional = await s.DeleteAsync("v1");
        Assert.Equal(HttpStatusCode.Forbidden, unconditional.StatusCode);
        // Deleting the manifest by digest would delete the tag with it.
        using var byDigest = await s.DeleteAsync(s.D1);
        Assert.Equal(HttpStatusCode.Forbidden, byDigest.StatusCode);
        Assert.Equal(s.D1, await s.CurrentDigestAsync("v1"));
        Assert.Equal(HttpStatusCode.OK, await s.ManifestStatusAsync(s.D1));
    }

    [Fact]
    public async Task ImmutableTags_MultiTagPushCannotMoveAnExistingTag()
    {
        var s = await ReleasesAsync("multitag");
        using var response = await s.Client.SendAsync(HttpMethod.Put, s.ManifestPath(s.D2) + "?tag=v1&tag=v2", [], ManifestContent(s.M2));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(s.D1, await s.CurrentDigestAsync("v1"));
        Assert.Null(await s.CurrentDigestAsync("v2"));
        Assert.Equal(HttpStatusCode.NotFound, await s.ManifestStatusAsync(s.D2));

        using var fresh = await s.Client.SendAsync(HttpMethod.Put, s.ManifestPath(s.D2) + "?tag=v2&tag=v3", [], ManifestContent(s.M2));
        Assert.Equal(HttpStatusCode.Created, fresh.StatusCode);
    }

    [Fact]
    public async Task ImmutableTags_NewTagsCanBeCreated_AndCreateOnlyStillWorks()
    {
        var s = await ReleasesAsync("create");
        using var created = await s.PutAsync("v2", s.M2, ("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        // A precondition that fails is reported as such (412), before the policy (403).
        using var again = await s.PutAsync("v2", s.M3, ("If-None-Match", "*"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, again.StatusCode);
        Assert.Equal(s.D2, await s.CurrentDigestAsync("v2"));
    }

    [Fact]
    public async Task ImmutableTags_OnlyAppliesToMatchingTags()
    {
        var s = await ReleasesAsync("scope");
        using (var latest = await s.PutAsync("latest", s.M2)) Assert.Equal(HttpStatusCode.Created, latest.StatusCode);
        using (var moved = await s.PutAsync("latest", s.M3)) Assert.Equal(HttpStatusCode.Created, moved.StatusCode);
        Assert.Equal(s.D3, await s.CurrentDigestAsync("latest"));
        // A manifest whose only tag is not protected can be deleted by digest, tag and all.
        using (var byDigest = await s.DeleteAsync(s.D3)) Assert.Equal(HttpStatusCode.Accepted, byDigest.StatusCode);
        Assert.Null(await s.CurrentDigestAsync("latest"));
        // Moving an unprotected tag in the same multi-tag push as a new protected one is fine.
        using var multi = await s.Client.SendAsync(HttpMethod.Put, s.ManifestPath(s.D2) + "?tag=latest&tag=v7", [], ManifestContent(s.M2));
        Assert.Equal(HttpStatusCode.Created, multi.StatusCode);
        using var multiMove = await s.Client.SendAsync(HttpMethod.Put, s.ManifestPath(s.D1) + "?tag=latest&tag=v8", [], ManifestContent(s.M1));
        Assert.Equal(HttpStatusCode.Created, multiMove.StatusCode);
        Assert.Equal(s.D1, await s.CurrentDigestAsync("latest"));
    }
}
