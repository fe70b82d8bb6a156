using Berth.Oci.Auth;
using System.Security.Cryptography;
using System.Text.Json;
using Berth.Auth.Scopes;
using Berth.Auth.Tokens;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Berth.Auth.Tests;

/// <summary>
/// Cross-check of Berth's hand-written JWS/JWT code against an independent implementation
/// (Microsoft.IdentityModel.JsonWebTokens, used by the tests only): what either signs, the other verifies,
/// for both algorithms Berth supports; and what either refuses to accept stays refused.
/// </summary>
public sealed class JsonWebTokenInteropTests
{
    private const string Issuer = "https://idp.test";
    private const string Audience = "registry.test";

    private static readonly Lazy<RSA> Rsa = new(() => RSA.Create(2048));
    private static readonly Lazy<ECDsa> Ec = new(() => ECDsa.Create(ECCurve.NamedCurves.nistP256));

    public static TheoryData<string> Algorithms => [TokenKey.ES256, TokenKey.RS256];

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task TokensSignedByIdentityModel_VerifyInBerth(string algorithm)
    {
        var (berthKey, securityKey) = Keys(algorithm);
        var now = DateTime.UtcNow;
        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(5),
            SigningCredentials = new SigningCredentials(securityKey, algorithm),
            Claims = new Dictionary<string, object>
            {
                ["sub"] = "alice",
                ["access"] = new List<object>
                {
                    new Dictionary<string, object> { ["type"] = "repository", ["name"] = "team/app", ["actions"] = new List<object> { "pull", "push" } },
                },
            },
        });

        var result = Validator(berthKey).ValidateAccessToken(token);
        Assert.True(result.IsValid, result.Failure);
        Assert.Equal("alice", result.Token!.Subject);
        Assert.True(result.Token.Grants(AccessScope.Repository("team/app", "push")));
        Assert.False(result.Token.Grants(AccessScope.Repository("team/app", "delete")));

        // And what IdentityModel itself would accept, Berth accepts: both see the same token as valid.
        Assert.True((await new JsonWebTokenHandler().ValidateTokenAsync(token, Parameters(securityKey, algorithm))).IsValid);

        // Signed by IdentityModel with a key Berth does not trust: refused.
        var (_, otherKey) = FreshKeys(algorithm);
        var foreign = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer, Audience = Audience, Expires = now.AddMinutes(5), SigningCredentials = new SigningCredentials(otherKey, algorithm),
        });
        Assert.False(Validator(berthKey).ValidateAccessToken(foreign).IsValid);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public async Task TokensSignedByBerth_VerifyInIdentityModel(string algorithm)
    {
        var (berthKey, securityKey) = Keys(algorithm);
        var issuer = new TokenIssuer(berthKey, Issuer, Audience, TimeSpan.FromMinutes(5), TimeSpan.FromDays(1), TimeProvider.System);
        var token = issuer.IssueAccess("alice", [AccessScope.Repository("team/app", "pull")]).Token;

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, Parameters(securityKey, algorithm));
        Assert.True(result.IsValid, result.Exception?.Message);
        var jwt = (JsonWebToken)result.SecurityToken;
        Assert.Equal(algorithm, jwt.Alg);
        Assert.Equal(berthKey.KeyId, jwt.Kid);
        Assert.Equal("alice", jwt.Subject);
        Assert.Equal("JWT", jwt.Typ);
        using var access = JsonDocument.Parse(jwt.GetPayloadValue<JsonElement>("access").GetRawText());
        Assert.Equal("team/app", access.RootElement[0].GetProperty("name").GetString());

        // Berth's refresh tokens carry their own "typ"; a validator that checks types keeps them apart too.
        var refresh = issuer.IssueRefresh("alice", "fingerprint");
        var parameters = Parameters(securityKey, algorithm);
        parameters.ValidTypes = ["JWT"];
        Assert.False((await new JsonWebTokenHandler().ValidateTokenAsync(refresh, parameters)).IsValid);

        // A token Berth signed, with one character of its payload changed: IdentityModel refuses it as Berth does.
        var parts = token.Split('.');
        var flipped = parts[1][..^2] + (parts[1][^2] == 'A' ? 'B' : 'A') + parts[1][^1];
        var tampered = $"{parts[0]}.{flipped}.{parts[2]}";
        Assert.False((await new JsonWebTokenHandler().ValidateTokenAsync(tampered, Parameters(securityKey, algorithm))).IsValid);
        Assert.False(Validator(berthKey).ValidateAccessToken(tampered).IsValid);
    }

    private static TokenValidator Validator(TokenKey key) =>
        new([new TrustedIssuer(Issuer, Audience, [key], IsBuiltIn: false)], TimeSpan.FromMinutes(1), TimeProvider.System);

    private static TokenValidationParameters Parameters(SecurityKey key, string algorithm) => new()
    {
        ValidIssuer = Issuer,
        ValidAudience = Audience,
        IssuerSigningKey = key,
        ValidAlgorithms = [algorithm],
        RequireExpirationTime = true,
        RequireSignedTokens = true,
    };

    /// <summary>One key pair as Berth sees it (private, so it can sign) and as IdentityModel sees it, with the same kid.</summary>
    private static (TokenKey Berth, SecurityKey IdentityModel) Keys(string algorithm)
    {
        if (algorithm == TokenKey.ES256)
        {
            var berth = TokenKey.FromEcdsa(ImportEc(Ec.Value), isPrivate: true);
            return (berth, new ECDsaSecurityKey(ImportEc(Ec.Value)) { KeyId = berth.KeyId });
        }
        var rsaKey = TokenKey.FromRsa(ImportRsa(Rsa.Value), isPrivate: true);
        return (rsaKey, new RsaSecurityKey(ImportRsa(Rsa.Value)) { KeyId = rsaKey.KeyId });
    }

    private static (TokenKey Berth, SecurityKey IdentityModel) FreshKeys(string algorithm)
    {
        if (algorithm == TokenKey.ES256)
        {
            var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return (TokenKey.FromEcdsa(ec, isPrivate: true), new ECDsaSecurityKey(ec));
        }
        var rsa = RSA.Create(2048);
        return (TokenKey.FromRsa(rsa, isPrivate: true), new RsaSecurityKey(rsa));
    }

    // Each side gets its own key object, so neither can depend on state the other left in it.
    private static ECDsa ImportEc(ECDsa source)
    {
        var copy = ECDsa.Create();
        copy.ImportParameters(source.ExportParameters(true));
        return copy;
    }

    private static RSA ImportRsa(RSA source)
    {
        var copy = RSA.Create();
        copy.ImportParameters(source.ExportParameters(true));
        return copy;
    }
}
