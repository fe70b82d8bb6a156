using Berth.Auth.Access;
using Berth.Auth.Tokens;

namespace Berth.Auth.TokenRequests;

/// <summary>
/// The built-in token service of the Docker registry token authentication spec: authenticates the client,
/// grants the intersection of the asked and the allowed scopes, and signs an access token, plus a refresh
/// token for the OAuth2 offline flow ("docker login" keeps it as its identity token).
/// </summary>
public sealed class TokenService
{
    private readonly BerthAuth _auth;

    internal TokenService(BerthAuth auth) => _auth = auth;

    /// <summary>
    /// More scopes than any client asks for at once (docker asks for one or two, a mount three); the cap keeps
    /// a request from making the service evaluate, and sign, an arbitrarily long list.
    /// </summary>
    public const int MaxScopes = 64;

    public TokenOutcome Issue(TokenRequest request)
    {
        var issuer = _auth.Issuer;
        if (request.Scopes.Count > MaxScopes)
        {
            return TokenOutcome.Failure(400, "invalid_scope", $"at most {MaxScopes} scopes may be requested at once, not {request.Scopes.Count}");
        }
        if (request.Service is { Length: > 0 } service && service != issuer.Service)
        {
            // Tokens are only good for this registry's service; a client asking for another is misconfigured.
            return TokenOutcome.Failure(400, "invalid_request", $"unknown service '{service}'");
        }

        Principal principal;
        string? refreshToken = null;
        switch (request.Grant)
        {
            case GrantType.BasicOrAnonymous when request.Username is null:
                principal = Principal.Anonymous;
                break;
            case GrantType.BasicOrAnonymous:
            case GrantType.Password:
                if (request.Username is null || request.Password is null)
                {
                    return TokenOutcome.Failure(400, "invalid_request", "username and password are required");
                }
                var check = _auth.Passwords.Check(request.Client, request.Username, request.Password);
                if (check.IsThrottled)
                {
                    return TokenOutcome.Failure(429, "too_many_requests", "too many failed logins; retry later") with { RetryAfter = check.RetryAfter };
                }
                if (check.Account is not { } account)
                {
                    return TokenOutcome.Failure(401, "invalid_grant", "incorrect username or password");
                }
                principal = new Principal(account.Name, account.Groups);
                if (request.Offline) refreshToken = issuer.IssueRefresh(account.Name, TokenIssuer.FingerprintOf(account.PasswordHash));
                break;
            case GrantType.RefreshToken:
                if (request.RefreshToken is null) return TokenOutcome.Failure(400, "invalid_request", "refresh_token is required");
                var validation = _auth.Validator.ValidateRefreshToken(request.RefreshToken);
                if (validation.Token is not { } token
                    || _auth.Users.Find(token.Subject) is not { } user
                    || !BerthAuth.FixedTimeEquals(token.CredentialFingerprint ?? "", TokenIssuer.FingerprintOf(user.PasswordHash)))
                {
                    return TokenOutcome.Failure(401, "invalid_grant", "the refresh token is invalid or expired");
                }
                principal = new Principal(user.Name, user.Groups);
                // The client keeps using the refresh token it has; echoing it is what clients that always
                // store the response's refresh_token expect.
                refreshToken = request.RefreshToken;
                break;
            default:
                return TokenOutcome.Failure(400, "unsupported_grant_type", "grant_type must be password or refresh_token");
        }

        var granted = _auth.Authorizer.Grant(principal, request.Scopes);
        var access = issuer.IssueAccess(principal.Name, granted);
        if (access.Token.Length > CompactJws.MaxLength)
        {
            // The registry would refuse the token unread; say so now rather than hand out a token that never works.
            return TokenOutcome.Failure(400, "invalid_scope",
                $"the granted scopes make a token of {access.Token.Length} bytes, more than the {CompactJws.MaxLength} the registry accepts; ask for fewer");
        }
        return TokenOutcome.Success(new TokenGrant(access.Token, access.IssuedAt, access.ExpiresIn, granted, refreshToken));
    }
}
