using Berth.Oci.Auth;

namespace Berth.Oci.Tests.Auth;

/// <summary>What the server formats, the client parses back unchanged: one type does both.</summary>
public sealed class AuthenticationChallengeRoundTripTests
{
    [Fact]
    public void Bearer_FormatsTheTokenSpecChallenge_AndParsesBack()
    {
        var scope = AccessScope.Repository("team/app", RepositoryActions.Pull, RepositoryActions.Push);
        var challenge = AuthenticationChallenge.Bearer("https://registry.example.com/auth/token", "registry.example.com", scope,
            AuthenticationChallenge.InsufficientScope);

        var formatted = challenge.ToString();
        Assert.Equal("Bearer realm=\"https://registry.example.com/auth/token\",service=\"registry.example.com\"," +
                     "scope=\"repository:team/app:pull,push\",error=\"insufficient_scope\"", formatted);

        var parsed = Assert.Single(AuthenticationChallenge.Parse([formatted]));
        Assert.True(parsed.IsScheme(AuthenticationChallenge.BearerScheme));
        Assert.Equal(challenge.Parameters.ToArray(), parsed.Parameters.ToArray());
        Assert.True(AccessScope.TryParse(parsed["scope"]!, out var parsedScope));
        Assert.Equal(scope.ToString(), parsedScope.ToString());
    }

    [Theory]
    [InlineData("a \"quoted\" realm", "back\\slash")]
    [InlineData("https://t/token?x=1,y=2", "svc with spaces, and commas")]
    public void QuotedStrings_SurviveTheRoundTrip(string realm, string service)
    {
        var challenge = AuthenticationChallenge.Bearer(realm, service);
        var parsed = Assert.Single(AuthenticationChallenge.Parse([challenge.ToString()]));
        Assert.Equal(realm, parsed["realm"]);
        Assert.Equal(service, parsed["service"]);
        Assert.Null(parsed["scope"]);
    }

    [Fact]
    public void ControlCharacters_CannotBeQuoted_AndAreDropped()
    {
        var parsed = Assert.Single(AuthenticationChallenge.Parse([AuthenticationChallenge.Bearer("https://t\r\n/token", "s").ToString()]));
        Assert.Equal("https://t/token", parsed["realm"]);
    }
}
