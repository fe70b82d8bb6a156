using System.Globalization;
using System.Text;

namespace Berth.Server.Pipeline;

/// <summary>
/// Client-sent text (the decoded request path, the query) made safe to write into a log line. A raw CR or LF
/// would let a client forge extra log lines, and ESC sequences would drive the terminal of whoever reads the
/// log, so control characters, Unicode format characters (bidirectional overrides) and line/paragraph
/// separators are written as escapes; the backslash is escaped too, so every escape is unambiguous.
/// </summary>
public static class LoggedText
{
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        if (!text.Any(NeedsEscape)) return text;
        var escaped = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\': escaped.Append(@"\\"); break;
                case '\n': escaped.Append(@"\n"); break;
                case '\r': escaped.Append(@"\r"); break;
                case '\t': escaped.Append(@"\t"); break;
                case '\u001B': escaped.Append(@"\e"); break;
                case var other when NeedsEscape(other):
                    escaped.Append(other <= '\u00FF' ? $@"\x{(int)other:X2}" : $@"\u{(int)other:X4}");
                    break;
                default: escaped.Append(c); break;
            }
        }
        return escaped.ToString();
    }

    private static bool NeedsEscape(char c) =>
        c == '\\' || char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
