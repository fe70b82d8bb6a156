using Berth.Oci.Auth;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Auth.Access;
using Berth.Auth.Scopes;
using Berth.Auth.TokenRequests;
using Berth.Auth.Tokens;
using Berth.Auth.Users;

namespace Berth.Auth.Tests;

/// <summary>The edges of the token code: times at the end of the calendar, and requests for very many scopes.</summary>
public sealed class TokenLimitsTests : IDisposable
{
    private static readonly TokenKey Key = TokenKey.FromEcdsa(ECDsa.Create(ECCurve.NamedCurves.nistP256), isPrivate: true);
    private readonly string _data = Path.Combine(Path.GetTempPath(), "berth-auth-test-" + Guid.NewGuid().ToString("N"));
    private readonly FixedClock _clock = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose()
    {
        if (Directory.Exists(_data)) Directory.Delete(_data, recursive: true);
    }

    /// <summary>253402300799 is 9999-12-31T23:59:59Z, the last second DateTimeOffset holds; adding the skew to it used to throw.</summary>
    [Theory]
    [InlineData("253402300799", true)]
    [InlineData("253402300798.5", true)]
    [InlineData("253402300800", false)]
    [InlineData("253402300799.5", false)]
    [InlineData("1e20", false)]
    [InlineData("1e308", false)]
    [InlineData("-1", false)]
    [InlineData("1700000000", false)]
    public void Expiry_AtOrBeyondTheEndOfTheCalendar_IsDecidedWithoutOverflow(string exp, bool valid)
    {
        var claims = Claims();
        claims["exp"] = JsonNode.Parse(exp);
        Assert.Equal(valid, Validator().ValidateAccessToken(Sign(claims)).IsValid);
    }

    [Theory]
    [InlineData("nbf")]
    [InlineData("iat")]
    public void NotBeforeAndIssuedAt_AtTheEndOfTheCalendar_AreRefusedWithoutOverflow(string claim)
    {
        foreach (var value in new[] { "253402300799", "253402300800", "1e300" })
        {
            var claims = Claims();
            claims["exp"] = 253402300799;
            claims[claim] = JsonNode.Parse(value);
            var result = Validator().ValidateAccessToken(Sign(claims));
            Assert.False(result.IsValid);
        }
    }

    [Fact]
    public void Clock_AtTheStartOfTheCalendar_DoesNotUnderflow()
    {
        _clock.Now = DateTimeOffset.MinValue.AddSeconds(10);
        var claims = Claims();
        claims["exp"] = 253402300799;
        claims["nbf"] = 0;
        claims["iat"] = 0;
        // Before the epoch "nbf" = 0 is in the future: refused, not thrown.
        Assert.False(Validator().ValidateAccessToken(Sign(claims)).IsValid);
    }

    [Fact]
    public void TokenRequest_WithMoreThanTheMaximumOfScopes_Is400()
    {
        using var auth = Create();
        var scopes = Enumerable.Range(0, TokenService.MaxScopes + 1).Select(i => AccessScope.Repository($"team/app{i}", "pull")).ToList();
        var refused = auth.Tokens.Issue(new TokenRequest { Grant = GrantType.Password, Username = "alice", Password = "pw", Scopes = scopes });
        Assert.Equal(400, refused.Status);
        Assert.Equal("invalid_scope", refused.Error);
        Assert.Contains("at most 64 scopes", refused.Description);

        var allowed = auth.Tokens.Issue(new TokenRequest { Grant = GrantType.Password, Username = "alice", Password = "pw", Scopes = scopes[..TokenService.MaxScopes] });
        Assert.Equal(200, allowed.Status);
        Assert.Equal(TokenService.MaxScopes, allowed.Grant!.Granted.Count);
        Assert.True(auth.Validator.ValidateAccessToken(allowed.Grant.AccessToken).IsValid);
    }

    [Fact]
    public void TokenRequest_WhoseTokenWouldBeLargerThanTheValidatorAccepts_Is400()
    {
        using var auth = Create();
        // 64 repositories with names of 240 characters and every action: about 21 KB of claims, over the 16 KiB limit.
        var scopes = Enumerable.Range(0, TokenService.MaxScopes)
            .Select(i => AccessScope.Repository($"team/{i:D3}{new string('a', 233)}", "pull", "push", "delete"))
            .ToList();
        var refused = auth.Tokens.Issue(new TokenRequest { Grant = GrantType.Password, Username = "alice", Password = "pw", Scopes = scopes });
        Assert.Equal(400, refused.Status);
        Assert.Equal("invalid_scope", refused.Error);
        Assert.Contains($"more than the {CompactJws.MaxLength}", refused.Description);

        // What the service does issue, the validator takes: the largest token under the limit still validates.
        var fewer = auth.Tokens.Issue(new TokenRequest { Grant = GrantType.Password, Username = "alice", Password = "pw", Scopes = scopes[..36] });
        Assert.Equal(200, fewer.Status);
        Assert.InRange(fewer.Grant!.AccessToken.Length, 12 * 1024, CompactJws.MaxLength);
        Assert.True(auth.Validator.ValidateAccessToken(fewer.Grant.AccessToken).IsValid);
    }

    private BerthAuth Create() => BerthAuth.Create(new AuthOptions
    {
        Service = "svc",
        Users = [new ConfiguredUser { Name = "alice", PasswordHash = BcryptPassword.Hash("pw", 4) }],
        Access = [new AccessRule { Repositories = "team/**", Users = ["alice"], Actions = ["*"] }],
    }, _data, _clock);

    private TokenValidator Validator() =>
        new([new TrustedIssuer("berth", "registry.test", [Key], IsBuiltIn: true)], TimeSpan.FromSeconds(60), _clock);

    private static string Sign(JsonObject claims) =>
        CompactJws.Sign(new JsonObject { ["typ"] = "JWT", ["alg"] = "ES256", ["kid"] = Key.KeyId }, claims, Key);

    private JsonObject Claims() => new()
    {
        ["iss"] = "berth",
        ["sub"] = "alice",
        ["aud"] = "registry.test",
        ["exp"] = _clock.Now.AddMinutes(5).ToUnixTimeSeconds(),
        ["nbf"] = _clock.Now.ToUnixTimeSeconds(),
        ["iat"] = _clock.Now.ToUnixTimeSeconds(),
    };
}
