namespace Berth.Auth.Users;

/// <summary>
/// Everyone who can log in, from the htpasswd file and the config, with their groups (from the config's
/// group table and from each configured user's own list).
/// </summary>
public sealed class UserDirectory
{
    private readonly Dictionary<string, UserAccount> _users = new(StringComparer.Ordinal);
    private readonly Lazy<string> _decoy;
    private long _passwordChecks;

    public UserDirectory(IEnumerable<(string User, string Hash)> htpasswd, IEnumerable<ConfiguredUser> configured,
        IReadOnlyDictionary<string, IReadOnlyList<string>> groups)
    {
        var groupsOf = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (group, members) in groups)
        {
            foreach (var member in members)
            {
                if (!groupsOf.TryGetValue(member, out var list)) groupsOf[member] = list = [];
                list.Add(group);
            }
        }
        IReadOnlyList<string> GroupsOf(string user, IEnumerable<string> own) =>
            [.. (groupsOf.TryGetValue(user, out var list) ? list : []).Concat(own).Distinct(StringComparer.Ordinal)];

        foreach (var (user, hash) in htpasswd) _users[user] = new UserAccount(user, hash, GroupsOf(user, []));
        foreach (var user in configured)
        {
            if (user.Name.Length == 0 || user.Name.Contains(':')) throw new InvalidDataException($"invalid user name '{user.Name}'");
            if (!BcryptPassword.IsBcrypt(user.PasswordHash))
            {
                throw new InvalidDataException($"the passwordHash of user '{user.Name}' is not a bcrypt hash ($2y$/$2a$/$2b$)");
            }
            if (_users.ContainsKey(user.Name)) throw new InvalidDataException($"user '{user.Name}' is defined twice");
            _users[user.Name] = new UserAccount(user.Name, user.PasswordHash, GroupsOf(user.Name, user.Groups));
        }
        // The decoy costs what most real hashes cost, so a miss takes as long as a typical wrong password.
        var cost = _users.Count == 0 ? 10 : _users.Values.GroupBy(u => BcryptPassword.CostOf(u.PasswordHash)).MaxBy(g => g.Count())!.Key;
        _decoy = new Lazy<string>(() => BcryptPassword.Decoy(cost));
    }

    public int Count => _users.Count;

    public UserAccount? Find(string name) => _users.GetValueOrDefault(name);

    /// <summary>How many bcrypt computations <see cref="Verify"/> has made: what a cache or a limiter in front of it saves.</summary>
    public long PasswordChecks => Interlocked.Read(ref _passwordChecks);

    /// <summary>
    /// The account when the password is right. An unknown name costs one bcrypt computation all the same,
    /// so response times do not tell which user names exist.
    /// </summary>
    public UserAccount? Verify(string name, string password)
    {
        Interlocked.Increment(ref _passwordChecks);
        if (!_users.TryGetValue(name, out var user))
        {
            BcryptPassword.Verify(password, _decoy.Value);
            return null;
        }
        return BcryptPassword.Verify(password, user.PasswordHash) ? user : null;
    }
}
