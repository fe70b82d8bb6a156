using System.Text;

namespace Berth.Oci.Auth;

/// <summary>
/// One challenge of a WWW-Authenticate field (RFC 9110 §11.6.1):
/// <c>auth-scheme [ 1*SP ( token68 / #auth-param ) ]</c>, e.g.
/// <c>Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"</c>.
/// The server formats the challenges of its 401s with it and the client parses them back.
/// </summary>
public sealed record AuthenticationChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public const string BearerScheme = "Bearer";

    /// <summary>RFC 6750 §3.1: a token was presented and is expired, revoked, malformed or otherwise invalid.</summary>
    public const string InvalidToken = "invalid_token";

    /// <summary>RFC 6750 §3.1: the token is valid but does not grant what the request needs.</summary>
    public const string InsufficientScope = "insufficient_scope";

    public string? this[string name] => Parameters.TryGetValue(name, out var value) ? value : null;

    public bool IsScheme(string scheme) => string.Equals(Scheme, scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The Docker token spec's challenge ("How to authenticate"): where to get a token (realm), for which service,
    /// the scope the request needs, and RFC 6750's error when a token was presented and failed or fell short.
    /// </summary>
    public static AuthenticationChallenge Bearer(string realm, string service, AccessScope? scope = null, string? error = null)
    {
        // Insertion order is kept: realm, service, scope, error, as clients and the spec's examples write them.
        var parameters = NewParameters();
        parameters["realm"] = realm;
        parameters["service"] = service;
        if (scope is not null) parameters["scope"] = scope.ToString();
        if (error is not null) parameters["error"] = error;
        return new AuthenticationChallenge(BearerScheme, parameters);
    }

    /// <summary>The field value: every parameter as an RFC 9110 §5.6.4 quoted-string.</summary>
    public override string ToString()
    {
        var builder = new StringBuilder(Scheme);
        var first = true;
        foreach (var (name, value) in Parameters)
        {
            builder.Append(first ? " " : ",").Append(name).Append('=');
            Quote(builder, value);
            first = false;
        }
        return builder.ToString();
    }

    /// <summary>
    /// Parses every challenge in the field values. Several challenges may share one line separated by
    /// commas, which is ambiguous with the commas between parameters; a token followed by whitespace and
    /// no '=' starts a new challenge. Malformed trailing text is ignored rather than failing the request.
    /// </summary>
    public static IReadOnlyList<AuthenticationChallenge> Parse(IEnumerable<string> fieldValues)
    {
        var challenges = new List<AuthenticationChallenge>();
        foreach (var value in fieldValues) ParseLine(value, challenges);
        return challenges;
    }

    /// <summary>Backslash-escape quote and backslash; control characters are dropped (they cannot be quoted).</summary>
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

    private static void ParseLine(string line, List<AuthenticationChallenge> challenges)
    {
        var position = 0;
        string? scheme = null;
        OrderedDictionary<string, string>? parameters = null;
        while (true)
        {
            SkipSeparators(line, ref position);
            if (position >= line.Length) break;
            var token = ReadToken(line, ref position);
            if (token.Length == 0) break;
            var afterToken = position;
            SkipWhitespace(line, ref position);
            if (position < line.Length && line[position] == '=' && scheme is not null
                && !(position + 1 < line.Length && line[position + 1] == '=' && IsToken68Tail(line, position)))
            {
                position++;
                SkipWhitespace(line, ref position);
                var value = position < line.Length && line[position] == '"' ? ReadQuoted(line, ref position) : ReadToken(line, ref position);
                parameters![token.ToLowerInvariant()] = value;
                continue;
            }
            position = afterToken;
            if (scheme is not null) challenges.Add(new AuthenticationChallenge(scheme, parameters!));
            scheme = token;
            parameters = NewParameters();
        }
        if (scheme is not null) challenges.Add(new AuthenticationChallenge(scheme, parameters!));
    }

    /// <summary>A token68 ends in '=' padding, with nothing but padding up to the next separator.</summary>
    private static bool IsToken68Tail(string line, int position)
    {
        while (position < line.Length && line[position] == '=') position++;
        SkipWhitespace(line, ref position);
        return position >= line.Length || line[position] == ',';
    }

    private static string ReadToken(string line, ref int position)
    {
        var start = position;
        while (position < line.Length && IsTokenChar(line[position])) position++;
        return line[start..position];
    }

    private static string ReadQuoted(string line, ref int position)
    {
        var text = new StringBuilder();
        position++;
        while (position < line.Length && line[position] != '"')
        {
            // quoted-pair (RFC 9110 §5.6.4)
            if (line[position] == '\\' && position + 1 < line.Length) position++;
            text.Append(line[position]);
            position++;
        }
        position++;
        return text.ToString();
    }

    private static bool IsTokenChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~' or '/';

    private static void SkipWhitespace(string line, ref int position)
    {
        while (position < line.Length && line[position] is ' ' or '\t') position++;
    }

    private static void SkipSeparators(string line, ref int position)
    {
        while (position < line.Length && line[position] is ' ' or '\t' or ',') position++;
    }

    /// <summary>Parameter names are case-insensitive (RFC 9110 §11.2); their order is kept for formatting.</summary>
    private static OrderedDictionary<string, string> NewParameters() => new(StringComparer.OrdinalIgnoreCase);
}
