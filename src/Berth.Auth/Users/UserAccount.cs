namespace Berth.Auth.Users;

/// <summary>A user who can log in: a name, a bcrypt hash, and the groups access rules may name.</summary>
public sealed record UserAccount(string Name, string PasswordHash, IReadOnlyList<string> Groups);

/// <summary>A user declared in the config file rather than in the htpasswd file.</summary>
public sealed record ConfiguredUser
{
    public string Name { get; init; } = "";

    /// <summary>A bcrypt hash ("$2y$…"), as `htpasswd -nB` prints; plain passwords are never configured.</summary>
    public string PasswordHash { get; init; } = "";

    public IReadOnlyList<string> Groups { get; init; } = [];
}
