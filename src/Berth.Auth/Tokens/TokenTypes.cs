namespace Berth.Auth.Tokens;

/// <summary>
/// The "typ" header values that tell an access token from a refresh token. Explicit typing (RFC 8725
/// §3.11) keeps a refresh token, signed by the same key, from ever being accepted as an access token.
/// </summary>
public static class TokenTypes
{
    public const string Access = "JWT";

    public const string Refresh = "berth-refresh+jwt";

    /// <summary>RFC 7515 §4.1.9: "typ" is a media type, compared case-insensitively; RFC 9068 tokens say "at+jwt".</summary>
    public static bool IsAccess(string? typ) =>
        typ is null || typ.Equals(Access, StringComparison.OrdinalIgnoreCase) || typ.Equals("at+jwt", StringComparison.OrdinalIgnoreCase)
        || typ.Equals("application/at+jwt", StringComparison.OrdinalIgnoreCase);

    public static bool IsRefresh(string? typ) => typ is not null && typ.Equals(Refresh, StringComparison.OrdinalIgnoreCase);
}
