using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Oci.Auth;
using Berth.Auth.Tokens;

namespace Berth.Auth.Tests;

/// <summary>RFC 7519 / RFC 7515 checks: every way a token can be wrong is refused.</summary>
public sealed class TokenValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    // Generated once: RSA key generation is slow, and the keys are only read.
    private static readonly TokenKey SharedKey = TokenKey.FromEcdsa(ECDsa.Create(ECCurve.NamedCurves.nistP256), isPrivate: true);
    private static readonly TokenKey SharedExternal = TokenKey.FromRsa(RSA.Create(2048), isPrivate: true);

    private readonly TokenKey _key = SharedKey;
    private readonly TokenKey _external = SharedExternal;
    private readonly FixedClock _clock = new(Now);
    private readonly TokenValidator _validator;
    private readonly TokenIssuer _issuer;

    public TokenValidatorTests()
    {
        _validator = new TokenValidator(
        [
            new TrustedIssuer("berth", "registry.test", [_key], IsBuiltIn: true),
            new TrustedIssuer("https://idp.test", "registry.test", [TokenKeyFiles.ReadPublicPem(_external.ExportPublicKeyPem(), "idp")[0]], IsBuiltIn: false),
        ], TimeSpan.FromSeconds(60), _clock);
        _issuer = new TokenIssuer(_key, "berth", "registry.test", TimeSpan.FromMinutes(5), TimeSpan.FromDays(1), _clock);
    }

    [Fact]
    public void IssuedToken_Validates_WithItsAccess()
    {
        var token = _issuer.IssueAccess("alice", [AccessScope.Repository("team/app", "pull", "push")]).Token;
        var result = _validator.ValidateAccessToken(token);
        Assert.True(result.IsValid, result.Failure);
        Assert.Equal("alice", result.Token!.Subject);
        Assert.True(result.Token.Issuer.IsBuiltIn);
        Assert.True(result.Token.Grants(AccessScope.Repository("team/app", "push")));
        Assert.False(result.Token.Grants(AccessScope.Repository("team/app", "delete")));
        Assert.False(result.Token.Grants(AccessScope.Repository("team/other", "pull")));
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(5 * 60 + 59, true)]
    [InlineData(5 * 60 + 60, true)]
    [InlineData(5 * 60 + 61, false)]
    [InlineData(-61, false)]
    [InlineData(-59, true)]
    public void ExpiryAndNotBefore_AllowTheClockSkew(int secondsLater, bool valid)
    {
        var token = _issuer.IssueAccess("alice", []).Token;
        _clock.Now = Now.AddSeconds(secondsLater);
        Assert.Equal(valid, _validator.ValidateAccessToken(token).IsValid);
    }

    [Theory]
    [InlineData("alg", "none")]
    [InlineData("alg", "HS256")]
    [InlineData("alg", "RS256")]
    [InlineData("alg", null)]
    [InlineData("kid", "someone-elses-key")]
    [InlineData("typ", "berth-refresh+jwt")]
    [InlineData("crit", "exp")]
    public void HeaderTampering_IsRefused(string member, string? value)
    {
        var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "ES256", ["kid"] = _key.KeyId };
        if (member == "crit") header["crit"] = new JsonArray(value);
        else header[member] = value;
        Assert.False(_validator.ValidateAccessToken(CompactJws.Sign(header, Claims(), _key)).IsValid);
    }

    [Theory]
    [InlineData("iss", "\"somebody\"")]
    [InlineData("aud", "\"another-registry\"")]
    [InlineData("aud", "[\"another\",\"one\"]")]
    [InlineData("exp", null)]
    [InlineData("exp", "\"tomorrow\"")]
    [InlineData("nbf", "1999999999")]
    [InlineData("iat", "1999999999")]
    [InlineData("sub", "42")]
    [InlineData("access", "{\"type\":\"repository\"}")]
    [InlineData("access", "[{\"type\":\"repository\",\"name\":\"team/app\",\"actions\":\"pull\"}]")]
    [InlineData("access", "[{\"type\":\"repository\",\"name\":\"Bad Name\",\"actions\":[\"pull\"]}]")]
    public void ClaimProblems_AreRefused_EvenWhenSigned(string claim, string? json)
    {
        var claims = Claims();
        claims[claim] = json is null ? null : JsonNode.Parse(json);
        if (json is null) claims.Remove(claim);
        Assert.False(_validator.ValidateAccessToken(CompactJws.Sign(Header(), claims, _key)).IsValid);
    }

    [Fact]
    public void AudienceArray_ContainingTheService_IsAccepted()
    {
        var claims = Claims();
        claims["aud"] = new JsonArray("other", "registry.test");
        Assert.True(_validator.ValidateAccessToken(CompactJws.Sign(Header(), claims, _key)).IsValid);
    }

    [Fact]
    public void ChangedPayload_BreaksTheSignature()
    {
        var token = _issuer.IssueAccess("rita", [AccessScope.Repository("team/app", "pull")]).Token;
        var parts = token.Split('.');
        var claims = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        claims["sub"] = "alice";
        var forged = $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString()))}.{parts[2]}";
        Assert.False(_validator.ValidateAccessToken(forged).IsValid);
    }

    [Fact]
    public void DuplicateClaims_AreRefused()
    {
        _clock.Now = DateTimeOffset.FromUnixTimeSeconds(1999999000);
        const string Single = "{\"iss\":\"berth\",\"aud\":\"registry.test\",\"exp\":1999999999,\"sub\":\"rita\"}";
        const string Twice = "{\"iss\":\"berth\",\"aud\":\"registry.test\",\"exp\":1999999999,\"sub\":\"rita\",\"sub\":\"alice\"}";
        Assert.True(_validator.ValidateAccessToken(SignRaw(Single)).IsValid);
        Assert.False(_validator.ValidateAccessToken(SignRaw(Twice)).IsValid);
    }

    private string SignRaw(string payload)
    {
        var input = $"{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Header().ToJsonString()))}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload))}";
        return $"{input}.{Base64Url.EncodeToString(_key.Sign(Encoding.ASCII.GetBytes(input)))}";
    }

    [Theory]
    [InlineData("")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d.e")]
    [InlineData("eyJhbGciOiJFUzI1NiJ9.e30=.AAAA")]
    [InlineData("!!!.???.***")]
    public void Malformed_IsRefused(string token) => Assert.False(_validator.ValidateAccessToken(token).IsValid);

    [Fact]
    public void RefreshAndAccessTokens_AreNotInterchangeable()
    {
        var refresh = _issuer.IssueRefresh("alice", "fingerprint");
        var access = _issuer.IssueAccess("alice", []).Token;
        Assert.False(_validator.ValidateAccessToken(refresh).IsValid);
        Assert.True(_validator.ValidateRefreshToken(refresh).IsValid);
        Assert.False(_validator.ValidateRefreshToken(access).IsValid);
    }

    [Fact]
    public void ExternalIssuer_TokensVerifyWithItsKey_AndCannotSpeakForTheBuiltInIssuer()
    {
        var claims = Claims();
        claims["iss"] = "https://idp.test";
        var header = new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT" };
        var result = _validator.ValidateAccessToken(CompactJws.Sign(header, claims, _external));
        Assert.True(result.IsValid, result.Failure);
        Assert.False(result.Token!.Issuer.IsBuiltIn);

        // The external key signing a token that claims to come from the built-in service.
        Assert.False(_validator.ValidateAccessToken(CompactJws.Sign(header, Claims(), _external)).IsValid);
        // External issuers never mint refresh tokens here.
        var refreshHeader = new JsonObject { ["alg"] = "RS256", ["typ"] = TokenTypes.Refresh };
        claims[RefreshClaims.Credential] = "x";
        Assert.False(_validator.ValidateRefreshToken(CompactJws.Sign(refreshHeader, claims, _external)).IsValid);
    }

    [Fact]
    public void Jwks_AndCertificates_ProvideVerificationKeys()
    {
        var jwks = new JsonObject { ["keys"] = new JsonArray(_external.PublicJwk(), _key.PublicJwk()) }.ToJsonString();
        var keys = TokenKeyFiles.ReadJwks(jwks, "test");
        Assert.Equal([_external.KeyId, _key.KeyId], keys.Select(k => k.KeyId));
        var signed = Encoding.ASCII.GetBytes("payload");
        Assert.True(keys[0].Verify("RS256", signed, _external.Sign(signed)));
        Assert.True(keys[1].Verify("ES256", signed, _key.Sign(signed)));
        Assert.False(keys[1].Verify("RS256", signed, _key.Sign(signed)));

        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=idp", ec, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        var fromCertificate = TokenKeyFiles.ReadPublicPem(certificate.ExportCertificatePem(), "test").Single();
        Assert.True(fromCertificate.Verify("ES256", signed, ec.SignData(signed, HashAlgorithmName.SHA256)));
    }

    [Fact]
    public void KeyId_IsTheRfc7638Thumbprint()
    {
        // RFC 7638 §3.1's example RSA key and its thumbprint.
        var jwks = """
            {"keys":[{"kty":"RSA","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}]}
            """;
        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", TokenKeyFiles.ReadJwks(jwks, "rfc").Single().KeyId);
    }

    private JsonObject Header() => new() { ["typ"] = "JWT", ["alg"] = "ES256", ["kid"] = _key.KeyId };

    private static JsonObject Claims() => new()
    {
        ["iss"] = "berth",
        ["sub"] = "alice",
        ["aud"] = "registry.test",
        ["exp"] = Now.AddMinutes(5).ToUnixTimeSeconds(),
        ["nbf"] = Now.ToUnixTimeSeconds(),
        ["iat"] = Now.ToUnixTimeSeconds(),
        ["access"] = new JsonArray(new JsonObject { ["type"] = "repository", ["name"] = "team/app", ["actions"] = new JsonArray("pull") }),
    };
}
