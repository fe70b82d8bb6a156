using System.Text;
using Microsoft.Extensions.Primitives;

namespace Berth.Server.Auth;

internal enum AuthorizationScheme
{
    None,
    Basic,
    Bearer,

    /// <summary>Present but unusable: another scheme, bad encoding, or more than one header.</summary>
    Invalid,
}

/// <summary>The request's credentials: HTTP Basic (RFC 7617) or a bearer token (RFC 6750 §2.1).</summary>
internal sealed record AuthorizationHeader(AuthorizationScheme Scheme, string User = "", string Password = "", string Token = "")
{
    public static AuthorizationHeader None { get; } = new(AuthorizationScheme.None);

    private static readonly AuthorizationHeader Invalid = new(AuthorizationScheme.Invalid);

    public static AuthorizationHeader Parse(StringValues values)
    {
        if (values.Count == 0) return None;
        if (values.Count > 1) return Invalid;
        var value = values[0] ?? "";
        var space = value.IndexOf(' ');
        if (space <= 0) return Invalid;
        // RFC 9110 §11.1: the scheme is case-insensitive.
        var scheme = value[..space];
        var credentials = value[(space + 1)..].Trim();
        if (credentials.Length == 0) return Invalid;
        if (scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)) return ParseBasic(credentials);
        if (scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase)) return new AuthorizationHeader(AuthorizationScheme.Bearer, Token: credentials);
        return Invalid;
    }

    /// <summary>RFC 7617 §2: base64 of "user-id:password"; the user-id cannot contain a colon, the password can. UTF-8 (§2.1).</summary>
    private static AuthorizationHeader ParseBasic(string credentials)
    {
        var buffer = new byte[credentials.Length];
        if (!Convert.TryFromBase64String(credentials, buffer, out var length)) return Invalid;
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return Invalid;
        }
        var colon = text.IndexOf(':');
        if (colon <= 0) return Invalid;
        return new AuthorizationHeader(AuthorizationScheme.Basic, text[..colon], text[(colon + 1)..]);
    }
}
