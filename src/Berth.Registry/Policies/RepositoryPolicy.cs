using System.Text.RegularExpressions;

namespace Berth.Registry.Policies;

/// <summary>
/// Tag-protection rules for repositories (and tags) whose names match glob patterns: "*" matches
/// within one path segment, "**" across segments.
/// </summary>
public sealed record RepositoryPolicy
{
    public string Repositories { get; init; } = "**";

    public string Tags { get; init; } = "*";

    /// <summary>Unconditional overwrite or delete of an existing matching tag is refused with 428.</summary>
    public bool RequirePreconditions { get; init; }

    /// <summary>A matching tag, once created, never moves and is never deleted.</summary>
    public bool ImmutableTags { get; init; }

    /// <summary>Garbage collection also removes manifests that are untagged and unreferenced.</summary>
    public bool PruneUntaggedManifests { get; init; }

    public bool Matches(string repository, string? tag) =>
        Glob.IsMatch(Repositories, repository) && (tag is null || Glob.IsMatch(Tags, tag));
}

internal static class Glob
{
    private static readonly Dictionary<string, Regex> Cache = new(StringComparer.Ordinal);

    public static bool IsMatch(string pattern, string value)
    {
        Regex? regex;
        lock (Cache)
        {
            if (!Cache.TryGetValue(pattern, out regex))
            {
                var body = Regex.Escape(pattern).Replace(@"\*\*", "\u0001").Replace(@"\*", "[^/]*").Replace("\u0001", ".*");
                // \z, not $: $ also matches before a final "\n", so the pattern "team/app" would also cover "team/app\n".
                regex = new Regex($@"^{body}\z", RegexOptions.CultureInvariant);
                Cache[pattern] = regex;
            }
        }
        return regex.IsMatch(value);
    }
}
