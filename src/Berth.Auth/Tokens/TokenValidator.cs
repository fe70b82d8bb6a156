using System.Text.Json.Nodes;
using Berth.Oci.Auth;

namespace Berth.Auth.Tokens;

/// <summary>
/// Verifies bearer tokens (RFC 7519 JWTs signed per RFC 7515) from the trusted issuers. Every check fails
/// closed: an unknown algorithm, a critical header, an unknown issuer or key, a bad signature, a wrong
/// audience, a missing or past expiry, a future "nbf" or "iat", or a malformed "access" claim each reject
/// the token. Expiry and not-before allow <c>clockSkew</c> either way, for clocks of separate machines.
/// </summary>
public sealed class TokenValidator
{
    private readonly IReadOnlyList<TrustedIssuer> _issuers;
    private readonly TimeSpan _clockSkew;
    private readonly TimeProvider _time;

    public TokenValidator(IReadOnlyList<TrustedIssuer> issuers, TimeSpan clockSkew, TimeProvider time)
    {
        _issuers = issuers;
        _clockSkew = clockSkew;
        _time = time;
    }

    public TokenValidation ValidateAccessToken(string token) => Validate(token, refresh: false);

    /// <summary>Refresh tokens come only from the built-in service.</summary>
    public TokenValidation ValidateRefreshToken(string token) => Validate(token, refresh: true);

    private TokenValidation Validate(string token, bool refresh)
    {
        if (!CompactJws.TryParse(token, out var jws)) return TokenValidation.Invalid("not a compact JWS");
        var header = jws.Header;
        if (!TryString(header, "alg", out var alg) || alg is not (TokenKey.ES256 or TokenKey.RS256))
        {
            // "none" (RFC 7518 §3.6) and HMAC algorithms never verify here: only asymmetric keys are configured.
            return TokenValidation.Invalid("algorithm not accepted");
        }
        // RFC 7515 §4.1.11: a recipient that does not understand a "crit" extension must reject the token.
        if (header.ContainsKey("crit")) return TokenValidation.Invalid("critical header extension");
        if (header.ContainsKey("typ") && !TryString(header, "typ", out _)) return TokenValidation.Invalid("malformed typ");
        var typ = (string?)header["typ"];
        if (refresh ? !TokenTypes.IsRefresh(typ) : !TokenTypes.IsAccess(typ)) return TokenValidation.Invalid("wrong token type");
        if (header.ContainsKey("kid") && !TryString(header, "kid", out _)) return TokenValidation.Invalid("malformed kid");
        var kid = (string?)header["kid"];

        var claims = jws.Payload;
        if (!TryString(claims, "iss", out var iss)) return TokenValidation.Invalid("no issuer");
        var candidates = _issuers.Where(i => i.Issuer == iss && (!refresh || i.IsBuiltIn)).ToList();
        if (candidates.Count == 0) return TokenValidation.Invalid("untrusted issuer");
        var now = _time.GetUtcNow();
        var issuer = candidates.FirstOrDefault(i => i.Keys.Any(k =>
            (kid is null || k.KeyId == kid) && !(now > k.VerifiesUntil) && k.Verify(alg, jws.SigningInput, jws.Signature)));
        if (issuer is null) return TokenValidation.Invalid("bad signature");

        // From here on the claims are the issuer's own words. The skew is applied to "now", never added to a
        // claimed time: an "exp" of 9999-12-31T23:59:59Z plus a minute is beyond what DateTimeOffset can hold.
        if (!AudienceMatches(claims["aud"], issuer.Audience)) return TokenValidation.Invalid("wrong audience");
        var earliest = Shift(now, -_clockSkew);
        var latest = Shift(now, _clockSkew);
        if (!TryTime(claims, "exp", out var exp)) return TokenValidation.Invalid("no expiry");
        if (earliest > exp) return TokenValidation.Invalid("expired");
        if (claims.ContainsKey("nbf") && (!TryTime(claims, "nbf", out var nbf) || latest < nbf)) return TokenValidation.Invalid("not yet valid");
        if (claims.ContainsKey("iat") && (!TryTime(claims, "iat", out var iat) || latest < iat)) return TokenValidation.Invalid("issued in the future");
        var subject = "";
        if (claims.ContainsKey("sub") && !TryString(claims, "sub", out subject)) return TokenValidation.Invalid("malformed subject");

        IReadOnlyList<AccessScope> access = [];
        if (claims["access"] is { } accessNode && !TryAccess(accessNode, out access)) return TokenValidation.Invalid("malformed access claim");
        string? fingerprint = null;
        if (refresh && !TryString(claims, RefreshClaims.Credential, out fingerprint)) return TokenValidation.Invalid("no credential fingerprint");
        return TokenValidation.Valid(new ValidatedToken(issuer, subject, exp, access, fingerprint));
    }

    /// <summary>RFC 7519 §4.1.3: "aud" is one string or an array of strings; the registry's service must be among them.</summary>
    private static bool AudienceMatches(JsonNode? aud, string expected) => aud switch
    {
        JsonValue value when value.TryGetValue<string>(out var single) => single == expected,
        JsonArray array => array.Any(a => a is JsonValue v && v.TryGetValue<string>(out var s) && s == expected),
        _ => false,
    };

    /// <summary>
    /// The Docker token spec's "access" claim: an array of {type, name, actions}. Entries for resource types
    /// Berth does not have are ignored; any entry of the wrong shape rejects the whole token.
    /// </summary>
    private static bool TryAccess(JsonNode node, out IReadOnlyList<AccessScope> access)
    {
        access = [];
        if (node is not JsonArray array) return false;
        var list = new List<AccessScope>();
        foreach (var entry in array)
        {
            if (entry is not JsonObject item) return false;
            if (!TryString(item, "type", out var type) || !TryString(item, "name", out var name)) return false;
            if (item["actions"] is not JsonArray actionsNode) return false;
            var actions = new List<string>();
            foreach (var action in actionsNode)
            {
                if (action is not JsonValue value || !value.TryGetValue<string>(out var text)) return false;
                actions.Add(text);
            }
            var scope = new AccessScope(type, name, actions);
            if (!scope.HasValidRepositoryName) return false;
            list.Add(scope);
        }
        access = list;
        return true;
    }

    private static bool TryString(JsonObject obj, string name, out string value)
    {
        value = "";
        if (obj[name] is not JsonValue node || !node.TryGetValue<string>(out var text)) return false;
        value = text;
        return true;
    }

    /// <summary>The time moved by the skew, stopping at the ends of the calendar rather than throwing.</summary>
    private static DateTimeOffset Shift(DateTimeOffset time, TimeSpan by)
    {
        var ticks = time.UtcTicks + by.Ticks;
        return ticks < DateTimeOffset.MinValue.UtcTicks ? DateTimeOffset.MinValue
            : ticks > DateTimeOffset.MaxValue.UtcTicks ? DateTimeOffset.MaxValue
            : new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    /// <summary>RFC 7519 §2 NumericDate: seconds since the epoch, possibly fractional.</summary>
    private static bool TryTime(JsonObject obj, string name, out DateTimeOffset value)
    {
        value = default;
        if (obj[name] is not JsonValue node || !node.TryGetValue<double>(out var seconds)) return false;
        if (double.IsNaN(seconds) || seconds < 0 || seconds > 253402300799) return false;
        value = DateTimeOffset.UnixEpoch.AddSeconds(seconds);
        return true;
    }
}
