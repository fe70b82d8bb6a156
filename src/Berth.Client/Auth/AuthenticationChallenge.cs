using System.Text;

namespace Berth.Client.Auth;

/// <summary>
/// One challenge of a WWW-Authenticate field (RFC 9110 §11.6.1):
/// <c>auth-scheme [ 1*SP ( token68 / #auth-param ) ]</c>, e.g.
/// <c>Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"</c>.
/// </summary>
public sealed record AuthenticationChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public string? this[string name] => Parameters.TryGetValue(name, out var value) ? value : null;

    public bool IsScheme(string scheme) => string.Equals(Scheme, scheme, StringComparison.OrdinalIgnoreCase);

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

    private static void ParseLine(string line, List<AuthenticationChallenge> challenges)
    {
        var position = 0;
        string? scheme = null;
        Dictionary<string, string>? parameters = null;
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
            parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
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
}
