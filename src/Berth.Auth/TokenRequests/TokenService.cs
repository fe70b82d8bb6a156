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

    public TokenOutcome Issue(TokenRequest request)
    {
        var issuer = _auth.Issuer;
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
                if (_auth.Users.Verify(request.Username, request.Password) is not { } account)
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
        return TokenOutcome.Success(new TokenGrant(access.Token, access.IssuedAt, access.ExpiresIn, granted, refreshToken));
    }
}
