namespace Berth.Auth.Access;

/// <summary>Whom a rule is evaluated for: a user with groups, or nobody in particular.</summary>
public sealed record Principal(string Name, IReadOnlyList<string> Groups)
{
    public static Principal Anonymous { get; } = new("", []);

    public bool IsAnonymous => Name.Length == 0;
}
