namespace Berth.Auth.Users;

/// <summary>
/// Reads an Apache htpasswd file: one "user:hash" per line, blank lines and "#" comments ignored.
/// Only bcrypt hashes are accepted; a line with another kind stops the load with its line number, so an
/// operator never believes a user can log in who cannot.
/// </summary>
public static class HtpasswdFile
{
    public static IReadOnlyList<(string User, string Hash)> Parse(TextReader reader, string source)
    {
        var entries = new List<(string, string)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#')) continue;
            var colon = trimmed.IndexOf(':');
            if (colon <= 0) throw new InvalidDataException($"{source} line {number}: expected user:hash");
            var user = trimmed[..colon];
            var hash = trimmed[(colon + 1)..];
            if (!BcryptPassword.IsBcrypt(hash))
            {
                throw new InvalidDataException(
                    $"{source} line {number}: the password of '{user}' is not a bcrypt hash; only $2y$/$2a$/$2b$ are accepted (htpasswd -B)");
            }
            if (!seen.Add(user)) throw new InvalidDataException($"{source} line {number}: '{user}' appears twice");
            entries.Add((user, hash));
        }
        return entries;
    }

    public static IReadOnlyList<(string User, string Hash)> Load(string path)
    {
        using var reader = new StreamReader(path);
        return Parse(reader, path);
    }
}
