using Berth.Oci.Auth;

namespace Berth.Auth.TokenRequests;

public enum GrantType
{
    /// <summary>GET with HTTP Basic credentials, or none for an anonymous token (Docker token spec "Requesting a Token").</summary>
    BasicOrAnonymous,

    /// <summary>OAuth2 POST, grant_type=password (RFC 6749 §4.3), as docker login sends.</summary>
    Password,

    /// <summary>OAuth2 POST, grant_type=refresh_token (RFC 6749 §6).</summary>
    RefreshToken,

    /// <summary>A POST whose grant_type is neither of the above (RFC 6749 §5.2 unsupported_grant_type).</summary>
    Unsupported,
}

/// <summary>A token request in either form, already taken apart by the HTTP layer.</summary>
public sealed record TokenRequest
{
    public GrantType Grant { get; init; }

    /// <summary>For <see cref="GrantType.BasicOrAnonymous"/> null means anonymous.</summary>
    public string? Username { get; init; }

    public string? Password { get; init; }

    public string? RefreshToken { get; init; }

    public string? Service { get; init; }

    public IReadOnlyList<AccessScope> Scopes { get; init; } = [];

    /// <summary>offline_token=true (GET) or access_type=offline (POST): also return a refresh token.</summary>
    public bool Offline { get; init; }

    /// <summary>The caller's network address, for the failed-login limiter.</summary>
    public string Client { get; init; } = "";
}

/// <summary>A successful token response's content.</summary>
public sealed record TokenGrant(string AccessToken, DateTimeOffset IssuedAt, TimeSpan ExpiresIn, IReadOnlyList<AccessScope> Granted, string? RefreshToken);

/// <summary>A token request's outcome: a grant, or an HTTP status with an RFC 6749 §5.2 error code and description.</summary>
public sealed record TokenOutcome(TokenGrant? Grant, int Status, string? Error, string? Description)
{
    /// <summary>With a 429: when the client may try again.</summary>
    public TimeSpan RetryAfter { get; init; }

    public static TokenOutcome Success(TokenGrant grant) => new(grant, 200, null, null);

    public static TokenOutcome Failure(int status, string error, string description) => new(null, status, error, description);
}
