using System.Security.Cryptography;
using System.Text;

namespace Berth.Auth.Users;

/// <summary>
/// bcrypt password hashes, the only kind Berth accepts: "$2a$", "$2b$" and "$2y$" (the prefix
/// `htpasswd -B` writes) are the same algorithm. The older htpasswd formats (MD5-crypt "$apr1$",
/// SHA-1 "{SHA}", crypt(3)) are too cheap to brute-force and are refused when the file is read.
/// </summary>
public static class BcryptPassword
{
    public static bool IsBcrypt(string hash) =>
        hash.Length == 60
        && (hash.StartsWith("$2a$", StringComparison.Ordinal) || hash.StartsWith("$2b$", StringComparison.Ordinal)
            || hash.StartsWith("$2y$", StringComparison.Ordinal))
        && char.IsAsciiDigit(hash[4]) && char.IsAsciiDigit(hash[5]) && hash[6] == '$';

    /// <summary>
    /// Recomputes the hash with the stored salt and cost and compares all 60 bytes in constant time, so
    /// the time taken says nothing about how much of a guess was right.
    /// </summary>
    public static bool Verify(string password, string hash)
    {
        if (!IsBcrypt(hash)) return false;
        string computed;
        try
        {
            computed = BCrypt.Net.BCrypt.HashPassword(password, hash[..29]);
        }
        catch (Exception e) when (e is BCrypt.Net.SaltParseException or ArgumentException)
        {
            return false;
        }
        // The library writes the "$2a$"/"$2b$" form it was given as "$2a$"/"$2b$"; "$2y$" comes back as "$2y$" too,
        // but compare the parts after the prefix so a spelling difference cannot turn a right password wrong.
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(computed[4..]), Encoding.ASCII.GetBytes(hash[4..]));
    }

    /// <summary>The work factor of a bcrypt hash ("$2y$10$…" → 10).</summary>
    public static int CostOf(string hash) => IsBcrypt(hash) ? (hash[4] - '0') * 10 + (hash[5] - '0') : 0;

    /// <summary>A hash of a random password, to check unknown user names against so that they cost as much as known ones.</summary>
    public static string Decoy(int cost) => BCrypt.Net.BCrypt.HashPassword(Guid.NewGuid().ToString("N"), cost);

    public static string Hash(string password, int cost = 10) => BCrypt.Net.BCrypt.HashPassword(password, cost);
}
