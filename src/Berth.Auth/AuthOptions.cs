using Berth.Auth.Access;
using Berth.Auth.Scopes;
using Berth.Auth.Tokens;
using Berth.Auth.Users;

namespace Berth.Auth;

/// <summary>Authentication and access control settings. When a server has none, every request is allowed (the loopback default).</summary>
public sealed record AuthOptions
{
    /// <summary>The "service" of challenges and the audience of tokens (Docker token spec); usually the registry's host name.</summary>
    public string Service { get; init; } = "berth";

    /// <summary>The "iss" of the built-in service's tokens.</summary>
    public string Issuer { get; init; } = "berth";

    /// <summary>
    /// The token endpoint clients are sent to. Null: "&lt;scheme&gt;://&lt;host&gt;/auth/token" of each request;
    /// set it behind a reverse proxy, or to an external token service's URL.
    /// </summary>
    public string? Realm { get; init; }

    /// <summary>An htpasswd file of bcrypt hashes (htpasswd -B).</summary>
    public string? Htpasswd { get; init; }

    public IReadOnlyList<ConfiguredUser> Users { get; init; } = [];

    /// <summary>Group name → member user names.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Groups { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The access control list; deny by default, so an empty list denies every request.</summary>
    public IReadOnlyList<AccessRule> Access { get; init; } = [];

    /// <summary>ES256 (default) or RS256, for the signing key generated on first start.</summary>
    public string TokenAlgorithm { get; init; } = TokenKey.ES256;

    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan RefreshTokenLifetime { get; init; } = TimeSpan.FromDays(30);

    /// <summary>How far apart the clocks of the token issuer and the registry may be.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Wrong passwords (HTTP Basic and the token endpoint) one client address may send within
    /// <see cref="FailedLoginWindow"/> before further attempts are answered 429 without being checked; 0 turns this off.
    /// </summary>
    public int FailedLoginsPerClient { get; init; } = 30;

    /// <summary>Wrong passwords for one user name, from anywhere, within <see cref="FailedLoginWindow"/>; 0 turns this off.</summary>
    public int FailedLoginsPerUser { get; init; } = 10;

    public TimeSpan FailedLoginWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a verified user name and password pair is remembered (in memory, as a keyed hash) to spare bcrypt; zero turns the cache off.</summary>
    public TimeSpan PasswordCacheLifetime { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Another token service whose tokens are accepted too.</summary>
    public ExternalIssuerOptions? ExternalIssuer { get; init; }

    /// <summary>"push" (default) or "pull": what reading a tag's history needs; it names who moved the tag.</summary>
    public TagHistoryAccess TagHistoryNeeds { get; init; } = TagHistoryAccess.Push;
}

/// <summary>A trusted external token issuer: its "iss", the "aud" its tokens carry, and its public keys.</summary>
public sealed record ExternalIssuerOptions
{
    public string Issuer { get; init; } = "";

    /// <summary>Null: the registry's <see cref="AuthOptions.Service"/>.</summary>
    public string? Audience { get; init; }

    /// <summary>PEM file of public keys or certificates.</summary>
    public string? PublicKey { get; init; }

    /// <summary>JWKS file (RFC 7517 §5).</summary>
    public string? Jwks { get; init; }
}
