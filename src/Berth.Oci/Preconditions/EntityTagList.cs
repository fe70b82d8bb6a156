using Berth.Oci.Digests;

namespace Berth.Oci.Preconditions;

/// <summary>
/// The value of If-Match or If-None-Match: "*" or a list of entity tags (RFC 9110 §13.1.1-2), combined
/// from every field line (§5.3). Parsing is strict on purpose: a lenient parser that drops a bad item
/// would silently turn a conditional write into an unconditional one.
/// </summary>
public sealed class EntityTagList
{
    public static readonly EntityTagList Any = new(true, []);

    private EntityTagList(bool isAny, IReadOnlyList<EntityTag> tags)
    {
        IsAny = isAny;
        Tags = tags;
    }

    public bool IsAny { get; }

    public IReadOnlyList<EntityTag> Tags { get; }

    public bool ContainsStrong(EntityTag current)
    {
        foreach (var tag in Tags)
        {
            if (tag.StrongEquals(current)) return true;
        }
        return false;
    }

    public bool ContainsWeak(EntityTag current)
    {
        foreach (var tag in Tags)
        {
            if (tag.WeakEquals(current)) return true;
        }
        return false;
    }

    /// <summary>
    /// Parses all field lines of one header. Fails on an empty value, an unterminated or unquoted tag,
    /// "*" combined with anything else, or any stray character. A bare digest ("sha256:…") is accepted
    /// as if quoted, because CNCF Distribution accepts and emits unquoted digests.
    /// </summary>
    public static bool TryParse(IEnumerable<string?> fieldLines, out EntityTagList? list)
    {
        list = null;
        var tags = new List<EntityTag>();
        var sawAny = false;
        var sawElement = false;
        foreach (var line in fieldLines)
        {
            if (line is null) continue;
            var position = 0;
            while (true)
            {
                SkipWhitespace(line, ref position);
                if (position >= line.Length) break;
                if (line[position] == ',')
                {
                    // RFC 9110 §5.6.1: empty list elements are tolerated.
                    position++;
                    continue;
                }
                if (line[position] == '*')
                {
                    sawAny = true;
                    sawElement = true;
                    position++;
                }
                else if (TryReadTag(line, ref position, out var tag))
                {
                    tags.Add(tag);
                    sawElement = true;
                }
                else
                {
                    return false;
                }
                SkipWhitespace(line, ref position);
                if (position < line.Length && line[position] != ',') return false;
            }
        }
        if (!sawElement) return false;
        if (sawAny && tags.Count > 0) return false;
        list = sawAny ? Any : new EntityTagList(false, tags);
        return true;
    }

    private static bool TryReadTag(string line, ref int position, out EntityTag tag)
    {
        tag = default;
        var weak = false;
        if (string.CompareOrdinal(line, position, "W/", 0, 2) == 0)
        {
            weak = true;
            position += 2;
        }
        if (position < line.Length && line[position] == '"')
        {
            var end = position + 1;
            while (end < line.Length && line[end] != '"')
            {
                // etagc = %x21 / %x23-7E / obs-text
                var c = line[end];
                if (c < 0x21 || c == 0x7F) return false;
                end++;
            }
            if (end >= line.Length) return false;
            tag = new EntityTag(line.Substring(position + 1, end - position - 1), weak);
            position = end + 1;
            return true;
        }
        if (weak) return false;

        // A bare digest, for compatibility with registries that emit unquoted ETags.
        var stop = position;
        while (stop < line.Length && line[stop] != ',' && line[stop] != ' ' && line[stop] != '\t') stop++;
        var bare = line[position..stop];
        if (!Digest.TryParse(bare, out _)) return false;
        tag = new EntityTag(bare, false);
        position = stop;
        return true;
    }

    private static void SkipWhitespace(string line, ref int position)
    {
        while (position < line.Length && (line[position] == ' ' || line[position] == '\t')) position++;
    }
}
