using Berth.Auth.Scopes;
using Berth.Oci.Auth;
using Berth.Oci.Api;

namespace Berth.Auth.Tests;

public sealed class AccessScopeTests
{
    [Theory]
    [InlineData("repository:team/app:pull", "repository", "team/app", "pull")]
    [InlineData("repository:team/app:pull,push", "repository", "team/app", "pull,push")]
    [InlineData("registry:catalog:*", "registry", "catalog", "*")]
    [InlineData("repository:localhost:5000/team/app:pull", "repository", "localhost:5000/team/app", "pull")]
    [InlineData("repository(plugin):vendor/x:pull", "repository", "vendor/x", "pull")]
    public void Parse_FollowsTheTokenScopeGrammar(string text, string type, string name, string actions)
    {
        Assert.True(AccessScope.TryParse(text, out var scope));
        Assert.Equal(type, scope.Type);
        Assert.Equal(name, scope.Name);
        Assert.Equal(actions, string.Join(',', scope.Actions));
    }

    [Theory]
    [InlineData("")]
    [InlineData("repository")]
    [InlineData("repository:team/app")]
    [InlineData("repository::pull")]
    [InlineData("repository:team/app:")]
    [InlineData(":team/app:pull")]
    [InlineData("repository:team/app:pull,,push")]
    [InlineData("repo sitory:team/app:pull")]
    public void Parse_RefusesMalformedScopes(string text) => Assert.False(AccessScope.TryParse(text, out _));

    [Fact]
    public void ParseList_SplitsOnSpacesAndSkipsMalformedEntries()
    {
        var scopes = AccessScope.ParseList(["repository:a:pull repository:b:push", "bogus", null, "registry:catalog:*"]);
        Assert.Equal(["repository:a:pull", "repository:b:push", "registry:catalog:*"], scopes.Select(s => s.ToString()));
    }

    [Theory]
    [InlineData("", "GET", null)]
    [InlineData("_catalog", "GET", "registry:catalog:*")]
    [InlineData("a/b/manifests/v1", "GET", "repository:a/b:pull")]
    [InlineData("a/b/manifests/v1", "HEAD", "repository:a/b:pull")]
    [InlineData("a/b/manifests/v1", "PUT", "repository:a/b:push")]
    [InlineData("a/b/manifests/v1", "DELETE", "repository:a/b:delete")]
    [InlineData("a/b/manifests/v1", "POST", "repository:a/b:push")]
    [InlineData("a/b/blobs/sha256:00", "GET", "repository:a/b:pull")]
    [InlineData("a/b/blobs/sha256:00", "DELETE", "repository:a/b:delete")]
    [InlineData("a/b/blobs/uploads/", "POST", "repository:a/b:push")]
    [InlineData("a/b/blobs/uploads/x", "GET", "repository:a/b:push")]
    [InlineData("a/b/blobs/uploads/x", "PATCH", "repository:a/b:push")]
    [InlineData("a/b/blobs/uploads/x", "PUT", "repository:a/b:push")]
    [InlineData("a/b/blobs/uploads/x", "DELETE", "repository:a/b:push")]
    [InlineData("a/b/tags/list", "GET", "repository:a/b:pull")]
    [InlineData("a/b/referrers/sha256:00", "GET", "repository:a/b:pull")]
    [InlineData("a/b/_berth/history/v1", "GET", "repository:a/b:push")]
    [InlineData("not/a/route", "GET", null)]
    [InlineData("A/b/tags/list", "GET", null)]
    public void RequiredAccess_FollowsRouteAndMethod(string path, string method, string? scope)
    {
        var parsed = RegistryPath.TryParse(path, out var route, out var valid);
        var required = RequiredAccess.For(parsed ? route : null, valid, method);
        Assert.Equal(scope, required.Scope?.ToString());
    }

    [Fact]
    public void RequiredAccess_ChallengesPushersForPullAndPush()
    {
        RegistryPath.TryParse("a/blobs/uploads/", out var route, out _);
        Assert.Equal("repository:a:pull,push", RequiredAccess.For(route, true, "POST").ChallengeScope!.ToString());
    }
}
