using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Berth.Oci.Auth;

namespace Berth.Auth.Tokens;

/// <summary>An issued token and the times the token response reports.</summary>
public sealed record IssuedToken(string Token, DateTimeOffset IssuedAt, TimeSpan ExpiresIn);

/// <summary>
/// Mints the built-in service's JWTs (RFC 7519): access tokens with the Docker token spec's claims
/// (iss, sub, aud, exp, nbf, iat, jti, access) and refresh tokens for the OAuth2 flow.
/// </summary>
public sealed class TokenIssuer
{
    private readonly TokenKey _key;
    private readonly TimeProvider _time;

    public TokenIssuer(TokenKey key, string issuer, string service, TimeSpan lifetime, TimeSpan refreshLifetime, TimeProvider time)
    {
        _key = key;
        Issuer = issuer;
        Service = service;
        Lifetime = lifetime;
        RefreshLifetime = refreshLifetime;
        _time = time;
    }

    public string Issuer { get; }

    public string Service { get; }

    public TimeSpan Lifetime { get; }

    public TimeSpan RefreshLifetime { get; }

    public TokenKey Key => _key;

    /// <param name="subject">The user name; empty for an anonymous caller.</param>
    /// <param name="issuedAt">When the token starts; now unless given (tests make expired tokens with it).</param>
    public IssuedToken IssueAccess(string subject, IReadOnlyList<AccessScope> access, DateTimeOffset? issuedAt = null)
    {
        var now = issuedAt ?? _time.GetUtcNow();
        var claims = BaseClaims(subject, now, Lifetime);
        var array = new JsonArray();
        foreach (var scope in access)
        {
            array.Add((JsonNode)new JsonObject
            {
                ["type"] = scope.Type,
                ["name"] = scope.Name,
                ["actions"] = new JsonArray([.. scope.Actions.Select(a => (JsonNode)a)]),
            });
        }
        claims["access"] = array;
        return new IssuedToken(CompactJws.Sign(Header(TokenTypes.Access), claims, _key), now, Lifetime);
    }

    public string IssueRefresh(string subject, string credentialFingerprint, DateTimeOffset? issuedAt = null)
    {
        var claims = BaseClaims(subject, issuedAt ?? _time.GetUtcNow(), RefreshLifetime);
        claims[RefreshClaims.Credential] = credentialFingerprint;
        return CompactJws.Sign(Header(TokenTypes.Refresh), claims, _key);
    }

    /// <summary>A short digest of a password hash; it reveals nothing usable about the hash itself.</summary>
    public static string FingerprintOf(string passwordHash) =>
        System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes("berth-refresh:" + passwordHash)).AsSpan(0, 16));

    private JsonObject Header(string type) => new() { ["typ"] = type, ["alg"] = _key.Algorithm, ["kid"] = _key.KeyId };

    private JsonObject BaseClaims(string subject, DateTimeOffset now, TimeSpan lifetime) => new()
    {
        ["iss"] = Issuer,
        ["sub"] = subject,
        ["aud"] = Service,
        ["exp"] = (now + lifetime).ToUnixTimeSeconds(),
        ["nbf"] = now.ToUnixTimeSeconds(),
        ["iat"] = now.ToUnixTimeSeconds(),
        ["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
    };
}
