using System.Globalization;

namespace Berth.Oci.Ranges;

/// <summary>
/// The Content-Range of a chunked upload PATCH. The spec writes it as "&lt;start&gt;-&lt;end&gt;"
/// (distribution-spec "Pushing a blob in chunks"); clients also send RFC 9110's "bytes start-end/total",
/// so both are accepted.
/// </summary>
public static class ChunkRange
{
    public static bool TryParse(string? header, out ByteRange range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(header)) return false;
        var value = header.Trim();
        if (value.StartsWith("bytes", StringComparison.OrdinalIgnoreCase))
        {
            value = value[5..].TrimStart(' ', '=');
        }
        var slash = value.IndexOf('/');
        if (slash >= 0) value = value[..slash];
        var dash = value.IndexOf('-');
        if (dash <= 0) return false;
        if (!long.TryParse(value[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
            || !long.TryParse(value[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            || last < first)
        {
            return false;
        }
        range = new ByteRange(first, last);
        return true;
    }
}
