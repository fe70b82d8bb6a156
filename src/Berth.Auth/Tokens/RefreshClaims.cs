namespace Berth.Auth.Tokens;

/// <summary>Private claims (RFC 7519 §4.3) of Berth's refresh tokens, named with a prefix so they cannot collide.</summary>
public static class RefreshClaims
{
    /// <summary>
    /// A digest of the user's password hash when the token was issued: changing the password (or removing
    /// the user) makes every refresh token issued before unusable, without keeping any list of tokens.
    /// </summary>
    public const string Credential = "berth_credential";
}
