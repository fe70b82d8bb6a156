using System.Security.Cryptography;
using System.Text;

namespace Berth.Auth.Users;

/// <summary>
/// Counts failed password checks per client address and per user name, and refuses further checks from
/// either once it has seen its limit of failures within <see cref="Window"/> (a fixed window that
/// starts at the first failure). A refused check is not even computed, so guessing costs the attacker the
/// wait rather than the server a bcrypt computation (OWASP ASVS V2.2.1, anti-automation).
/// </summary>
/// <remarks>
/// The per-user count stops a distributed guess at one account; the per-address count stops one client
/// trying many accounts. The price of the per-user count is that an attacker can lock a user out for one
/// window; success resets the user's count (only the right password can), never the address's, so an
/// attacker cannot wipe their own address's count by logging into an account of their own in between.
/// Memory is bounded: each table holds at most <see cref="MaxEntries"/> counters, expired ones are dropped
/// first, then the ones whose window ends soonest.
/// </remarks>
public sealed class FailedLoginLimiter
{
    public const int MaxEntries = 65_536;

    /// <summary>Longer names are counted under their SHA-256, so the tables' size is bounded in bytes too, not only in entries.</summary>
    private const int MaxKeyLength = 256;

    private readonly Dictionary<string, Counter> _byClient = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Counter> _byUser = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;

    /// <param name="perClientLimit">Failures allowed per client address and window; 0 turns that count off.</param>
    /// <param name="perUserLimit">Failures allowed per user name and window; 0 turns that count off.</param>
    public FailedLoginLimiter(int perClientLimit, int perUserLimit, TimeSpan window, TimeProvider time)
    {
        if (perClientLimit < 0 || perUserLimit < 0) throw new ArgumentOutOfRangeException(nameof(perClientLimit), "auth.failedLoginsPerClient and auth.failedLoginsPerUser cannot be negative");
        if (window <= TimeSpan.Zero && (perClientLimit > 0 || perUserLimit > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(window), "auth.failedLoginWindow must be positive");
        }
        PerClientLimit = perClientLimit;
        PerUserLimit = perUserLimit;
        Window = window;
        _time = time;
    }

    public int PerClientLimit { get; }

    public int PerUserLimit { get; }

    public TimeSpan Window { get; }

    /// <summary>
    /// Whether a password check for <paramref name="user"/> from <paramref name="client"/> may go ahead; when not,
    /// <paramref name="retryAfter"/> is the time until the window that refuses it ends (for Retry-After, RFC 9110 §10.2.3).
    /// </summary>
    public bool MayAttempt(string client, string user, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            var wait = TimeSpan.Zero;
            if (Blocking(_byClient, KeyOf(client), PerClientLimit, now) is { } clientWait) wait = clientWait;
            if (Blocking(_byUser, KeyOf(user), PerUserLimit, now) is { } userWait && userWait > wait) wait = userWait;
            retryAfter = wait;
            return wait == TimeSpan.Zero;
        }
    }

    public void RecordFailure(string client, string user)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            if (PerClientLimit > 0) Count(_byClient, KeyOf(client), now);
            if (PerUserLimit > 0) Count(_byUser, KeyOf(user), now);
        }
    }

    /// <summary>The right password for <paramref name="user"/>: their count starts again. The address's count stays.</summary>
    public void RecordSuccess(string user)
    {
        lock (_lock) _byUser.Remove(KeyOf(user));
    }

    private static string KeyOf(string name) =>
        name.Length <= MaxKeyLength ? name : "#" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(name)));

    private TimeSpan? Blocking(Dictionary<string, Counter> table, string key, int limit, DateTimeOffset now)
    {
        if (limit == 0 || !table.TryGetValue(key, out var counter)) return null;
        var ends = counter.Start + Window;
        if (now >= ends)
        {
            table.Remove(key);
            return null;
        }
        return counter.Failures >= limit ? ends - now : null;
    }

    private void Count(Dictionary<string, Counter> table, string key, DateTimeOffset now)
    {
        if (table.TryGetValue(key, out var counter) && now < counter.Start + Window)
        {
            counter.Failures++;
            return;
        }
        if (counter is null && table.Count >= MaxEntries) MakeRoom(table, now);
        table[key] = new Counter { Start = now, Failures = 1 };
    }

    /// <summary>Drops the expired counters; if none had expired, the one whose window ends soonest.</summary>
    private void MakeRoom(Dictionary<string, Counter> table, DateTimeOffset now)
    {
        var expired = table.Where(e => now >= e.Value.Start + Window).Select(e => e.Key).ToList();
        foreach (var key in expired) table.Remove(key);
        if (table.Count < MaxEntries) return;
        table.Remove(table.MinBy(e => e.Value.Start).Key);
    }

    private sealed class Counter
    {
        public DateTimeOffset Start { get; init; }

        public int Failures { get; set; }
    }
}
