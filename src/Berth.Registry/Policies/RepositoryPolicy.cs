using Berth.Oci.Names;

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

/// <summary>Compiled patterns, shared by every policy that names the same one (policies are records of plain strings).</summary>
internal static class Glob
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, RepositoryPattern> Compiled = new(StringComparer.Ordinal);

    public static bool IsMatch(string pattern, string value) => Compiled.GetOrAdd(pattern, p => new RepositoryPattern(p)).Matches(value);
}
