using Berth.Auth.Access;
using Berth.Auth.Scopes;
using Berth.Oci.Auth;

namespace Berth.Auth.Tests;

public sealed class AccessPolicyTests
{
    private static readonly Principal Alice = new("alice", ["devs"]);
    private static readonly Principal Bob = new("bob", []);

    private static readonly AccessPolicy Policy = new(
    [
        new AccessRule { Repositories = "team/*", Users = ["alice"], Actions = ["pull", "push"] },
        new AccessRule { Repositories = "team/**", Groups = ["devs"], Actions = ["pull"] },
        new AccessRule { Repositories = "team/app", Users = ["alice"], Actions = ["delete"] },
        new AccessRule { Repositories = "shared/**", Users = ["*"], Actions = ["*"] },
        new AccessRule { Repositories = "public/**", Anonymous = true, Actions = ["pull"] },
    ]);

    [Theory]
    [InlineData("team/app", "pull,push,delete")]
    [InlineData("team/lib", "pull,push")]
    [InlineData("team/deep/lib", "pull")]
    [InlineData("teams/app", "")]
    [InlineData("shared/x", "pull,push,delete")]
    [InlineData("public/x", "pull")]
    [InlineData("other", "")]
    public void AliceMay(string repository, string actions) =>
        Assert.Equal(actions, string.Join(',', Policy.Allowed(AccessPolicyTests.Alice, repository)));

    [Theory]
    [InlineData("team/app", "")]
    [InlineData("shared/x", "pull,push,delete")]
    [InlineData("public/x", "pull")]
    public void AnyOtherUserMay(string repository, string actions) =>
        Assert.Equal(actions, string.Join(',', Policy.Allowed(Bob, repository)));

    [Theory]
    [InlineData("team/app", "")]
    [InlineData("shared/x", "")]
    [InlineData("public/x", "pull")]
    [InlineData("public/a/b", "pull")]
    public void AnonymousMay(string repository, string actions) =>
        Assert.Equal(actions, string.Join(',', Policy.Allowed(Principal.Anonymous, repository)));

    [Fact]
    public void NoRules_DenyEverything()
    {
        var empty = new AccessPolicy([]);
        Assert.Empty(empty.Allowed(AccessPolicyTests.Alice, "team/app"));
        Assert.False(empty.AnonymousCanPullAnything);
    }

    [Fact]
    public void UnknownAction_IsAConfigurationError() =>
        Assert.Throws<InvalidDataException>(() => new AccessPolicy([new AccessRule { Repositories = "**", Users = ["a"], Actions = ["write"] }]));

    [Fact]
    public void Authorizer_GrantsTheIntersectionOfAskedAndAllowed()
    {
        var authorizer = new Authorizer(Policy);
        var granted = authorizer.Grant(AccessPolicyTests.Alice,
        [
            AccessScope.Repository("team/lib", "pull", "push", "delete"),
            AccessScope.Repository("team/app", "*"),
            AccessScope.Repository("other", "pull"),
            AccessScope.Repository("Not/Valid", "pull"),
            AccessScope.Catalog,
            new AccessScope("registry", "catalog", ["pull"]),
        ]);
        Assert.Equal(["repository:team/lib:pull,push", "repository:team/app:pull,push,delete", "registry:catalog:*"],
            granted.Select(s => s.ToString()));
        Assert.Empty(authorizer.Grant(Principal.Anonymous, [AccessScope.Repository("team/app", "pull")]));
        Assert.Equal(["registry:catalog:*"], authorizer.Grant(Principal.Anonymous, [AccessScope.Catalog]).Select(s => s.ToString()));
    }

    [Fact]
    public void Authorizer_DecidesByKindOfCaller()
    {
        var authorizer = new Authorizer(Policy);
        var pull = RequiredFor("team/app/tags/list", "GET");
        var push = RequiredFor("team/app/blobs/uploads/", "POST");
        Assert.Equal(AccessDecision.Unauthenticated, authorizer.Decide(Caller.Anonymous, pull));
        Assert.Equal(AccessDecision.Allowed, authorizer.Decide(new Caller(CallerKind.User, AccessPolicyTests.Alice), push));
        Assert.Equal(AccessDecision.Denied, authorizer.Decide(new Caller(CallerKind.User, Bob), pull));
        Assert.Equal(AccessDecision.Unauthenticated, authorizer.Decide(Caller.Anonymous, RequiredAccess.Authenticated));
        Assert.Equal(AccessDecision.Allowed, authorizer.Decide(new Caller(CallerKind.User, Bob), RequiredAccess.Authenticated));
    }

    private static RequiredAccess RequiredFor(string path, string method)
    {
        Oci.Api.RegistryPath.TryParse(path, out var route, out var valid);
        return RequiredAccess.For(route, valid, method);
    }
}
