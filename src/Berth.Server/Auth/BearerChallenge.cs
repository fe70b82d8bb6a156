using System.Text;
using Berth.Auth.Scopes;

namespace Berth.Server.Auth;

/// <summary>
/// The WWW-Authenticate value of a 401, as the Docker token spec prescribes ("How to authenticate"):
/// <c>Bearer realm="…",service="…",scope="…"</c>, with RFC 6750 §3's error attribute when a token was
/// presented and failed (invalid_token) or fell short (insufficient_scope).
/// </summary>
public static class BearerChallenge
{
    public const string InvalidToken = "invalid_token";
    public const string InsufficientScope = "insufficient_scope";

    public static string Format(string realm, string service, AccessScope? scope, string? error)
    {
        var builder = new StringBuilder("Bearer realm=");
        Quote(builder, realm);
        builder.Append(",service=");
        Quote(builder, service);
        if (scope is not null)
        {
            builder.Append(",scope=");
            Quote(builder, scope.ToString());
        }
        if (error is not null)
        {
            builder.Append(",error=");
            Quote(builder, error);
        }
        return builder.ToString();
    }

    /// <summary>RFC 9110 §5.6.4 quoted-string: backslash-escape quote and backslash; control characters are dropped.</summary>
    private static void Quote(StringBuilder builder, string value)
    {
        builder.Append('"');
        foreach (var c in value)
        {
            if (char.IsControl(c)) continue;
            if (c is '"' or '\\') builder.Append('\\');
            builder.Append(c);
        }
        builder.Append('"');
    }
}
