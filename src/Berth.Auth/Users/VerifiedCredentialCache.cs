using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Berth.Auth.Users;

/// <summary>
/// Remembers, for a short while, user name and password pairs that bcrypt has just found right, so a client
/// sending HTTP Basic with every request pays one bcrypt computation per <see cref="Lifetime"/>, not one per
/// request. Entries are keyed by an HMAC-SHA256 of the pair under a random key made for this process: the
/// password is never stored, and the key is in no file, so a memory dump of the table alone allows no
/// offline guessing cheaper than the bcrypt hashes themselves. A wrong password has another HMAC, so it
/// never finds an entry and always costs a full bcrypt check; failures are never remembered.
/// </summary>
public sealed class VerifiedCredentialCache
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromSeconds(60);

    public const int DefaultCapacity = 4096;

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;

    public VerifiedCredentialCache(TimeProvider time, TimeSpan? lifetime = null, int capacity = DefaultCapacity)
    {
        if (capacity < 0) throw new ArgumentOutOfRangeException(nameof(capacity));
        _time = time;
        Lifetime = lifetime ?? DefaultLifetime;
        Capacity = capacity;
    }

    public TimeSpan Lifetime { get; }

    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (_lock) return _entries.Count;
        }
    }

    /// <summary>The account this exact pair was verified for, if that was less than <see cref="Lifetime"/> ago.</summary>
    public UserAccount? Find(string user, string password)
    {
        if (Capacity == 0) return null;
        var key = KeyOf(user, password);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var entry)) return null;
            if (now < entry.Expires) return entry.Account;
            _entries.Remove(key);
            return null;
        }
    }

    /// <summary>Call only after bcrypt said the password is right.</summary>
    public void Add(string user, string password, UserAccount account)
    {
        if (Capacity == 0) return;
        var key = KeyOf(user, password);
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (_entries.Count >= Capacity && !_entries.ContainsKey(key)) MakeRoom(now);
            _entries[key] = new Entry(account, now + Lifetime);
        }
    }

    private void MakeRoom(DateTimeOffset now)
    {
        foreach (var key in _entries.Where(e => now >= e.Value.Expires).Select(e => e.Key).ToList()) _entries.Remove(key);
        if (_entries.Count >= Capacity) _entries.Remove(_entries.MinBy(e => e.Value.Expires).Key);
    }

    /// <summary>
    /// HMAC over the length of the user name, the name, then the password, all UTF-8: the length prefix keeps
    /// ("ab", "c") and ("a", "bc") apart, since a user name from a token request form may hold any character.
    /// </summary>
    private string KeyOf(string user, string password)
    {
        var userBytes = Encoding.UTF8.GetBytes(user);
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        var message = new byte[4 + userBytes.Length + passwordBytes.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, userBytes.Length);
        userBytes.CopyTo(message, 4);
        passwordBytes.CopyTo(message, 4 + userBytes.Length);
        var mac = HMACSHA256.HashData(_key, message);
        CryptographicOperations.ZeroMemory(message);
        CryptographicOperations.ZeroMemory(passwordBytes);
        return Convert.ToBase64String(mac);
    }

    private sealed record Entry(UserAccount Account, DateTimeOffset Expires);
}
