namespace Berth.Auth.Users;

/// <summary>The outcome of a password check: the account when the password is right, or how long to wait when refused unchecked.</summary>
public sealed record PasswordCheck(UserAccount? Account, TimeSpan RetryAfter)
{
    public static PasswordCheck Wrong { get; } = new(null, TimeSpan.Zero);

    /// <summary>Too many recent failures from this client or for this user: the password was not even looked at.</summary>
    public bool IsThrottled => RetryAfter > TimeSpan.Zero;
}

/// <summary>
/// Every password check of the server (HTTP Basic on /v2/ and the token endpoint's password grants) goes
/// through here: first the failed-login limiter, then the cache of recently verified credentials, and only
/// then bcrypt, whose outcome feeds both.
/// </summary>
public sealed class PasswordAuthenticator(UserDirectory users, FailedLoginLimiter limiter, VerifiedCredentialCache cache)
{
    public FailedLoginLimiter Limiter { get; } = limiter;

    public VerifiedCredentialCache Cache { get; } = cache;

    /// <param name="client">The caller's network address, which the limiter counts failures of.</param>
    public PasswordCheck Check(string client, string user, string password)
    {
        // The limiter comes before the cache: otherwise a locked-out guesser could keep trying against the
        // cache, at HMAC speed, whenever the real user had logged in within the last minute.
        if (!Limiter.MayAttempt(client, user, out var retryAfter)) return new PasswordCheck(null, retryAfter);
        // The cached account must still be the directory's current one, so a changed password is never served from the cache.
        if (Cache.Find(user, password) is { } cached && ReferenceEquals(users.Find(user), cached))
        {
            Limiter.RecordSuccess(user);
            return new PasswordCheck(cached, TimeSpan.Zero);
        }
        if (users.Verify(user, password) is not { } account)
        {
            Limiter.RecordFailure(client, user);
            return PasswordCheck.Wrong;
        }
        Limiter.RecordSuccess(user);
        Cache.Add(user, password, account);
        return new PasswordCheck(account, TimeSpan.Zero);
    }
}
