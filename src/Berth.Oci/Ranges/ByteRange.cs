namespace Berth.Oci.Ranges;

/// <summary>An inclusive byte range [First, Last].</summary>
public readonly record struct ByteRange(long First, long Last)
{
    public long Length => Last - First + 1;
}

public enum RangeRequestKind
{
    /// <summary>No usable Range header: send the whole representation (RFC 9110 §14.2 lets us ignore it).</summary>
    Full,
    Partial,
    /// <summary>416: syntactically valid but no byte of it falls within the representation.</summary>
    Unsatisfiable,
}

/// <summary>The Range request header of a blob GET (RFC 9110 §14.2); only a single range is served.</summary>
public static class RangeRequest
{
    public static RangeRequestKind Resolve(string? header, long length, out ByteRange range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(header)) return RangeRequestKind.Full;
        var value = header.Trim();
        if (!value.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase)) return RangeRequestKind.Full;
        var spec = value[6..].Trim();
        if (spec.Contains(',')) return RangeRequestKind.Full;
        var dash = spec.IndexOf('-');
        if (dash < 0) return RangeRequestKind.Full;
        var firstText = spec[..dash].Trim();
        var lastText = spec[(dash + 1)..].Trim();

        if (firstText.Length == 0)
        {
            // Suffix range: the last N bytes.
            if (!long.TryParse(lastText, System.Globalization.NumberStyles.None, null, out var suffix)) return RangeRequestKind.Full;
            if (suffix == 0 || length == 0) return RangeRequestKind.Unsatisfiable;
            range = new ByteRange(Math.Max(0, length - suffix), length - 1);
            return RangeRequestKind.Partial;
        }
        if (!long.TryParse(firstText, System.Globalization.NumberStyles.None, null, out var first)) return RangeRequestKind.Full;
        long last;
        if (lastText.Length == 0)
        {
            last = length - 1;
        }
        else if (!long.TryParse(lastText, System.Globalization.NumberStyles.None, null, out last))
        {
            return RangeRequestKind.Full;
        }
        else if (last < first)
        {
            // RFC 9110 would let us ignore an invalid range; clients (and the conformance suite) expect 416.
            return RangeRequestKind.Unsatisfiable;
        }
        if (first >= length) return RangeRequestKind.Unsatisfiable;
        range = new ByteRange(first, Math.Min(last, length - 1));
        return RangeRequestKind.Partial;
    }
}
