namespace Berth.Auth.Access;

/// <summary>
/// One grant of the access control list: the actions (pull, push, delete or "*") on repositories matching
/// a pattern, for the users and groups named, for any logged-in user ("*" in <see cref="Users"/>), or for
/// anyone at all including anonymous callers (<see cref="Anonymous"/>). Rules only ever add; what no rule
/// grants is denied.
/// </summary>
public sealed record AccessRule
{
    public string Repositories { get; init; } = "";

    public IReadOnlyList<string> Users { get; init; } = [];

    public IReadOnlyList<string> Groups { get; init; } = [];

    public bool Anonymous { get; init; }

    public IReadOnlyList<string> Actions { get; init; } = [];
}
