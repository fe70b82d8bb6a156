namespace Berth.Oci.Auth;

/// <summary>The actions on a repository that access rules and tokens grant.</summary>
public static class RepositoryActions
{
    public const string Pull = "pull";
    public const string Push = "push";
    public const string Delete = "delete";

    /// <summary>Every action; in a rule "*" grants pull, push and delete, in a token it is the catalog's action.</summary>
    public const string All = "*";

    public static IReadOnlyList<string> Each { get; } = [Pull, Push, Delete];

    public static bool IsKnown(string action) => action is Pull or Push or Delete;
}
