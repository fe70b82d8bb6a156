using Berth.Auth.Users;

namespace Berth.Auth.Tests;

/// <summary>The cache of verified credentials, and the password check that puts the limiter and the cache before bcrypt.</summary>
public sealed class PasswordCheckTests
{
    private static readonly string AliceHash = BcryptPassword.Hash("alice-pw", 4);
    private readonly FixedClock _clock = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly UserDirectory _users = new([("alice", AliceHash)], [], new Dictionary<string, IReadOnlyList<string>>());

    [Fact]
    public void Cache_FindsOnlyTheExactPair_ForItsLifetime()
    {
        var cache = new VerifiedCredentialCache(_clock, TimeSpan.FromSeconds(60));
        var alice = _users.Find("alice")!;
        cache.Add("alice", "alice-pw", alice);
        Assert.Same(alice, cache.Find("alice", "alice-pw"));
        Assert.Null(cache.Find("alice", "alice-pW"));
        Assert.Null(cache.Find("alice", "alice-pw "));
        Assert.Null(cache.Find("alic", "ealice-pw"));
        Assert.Null(cache.Find("Alice", "alice-pw"));
        _clock.Now += TimeSpan.FromSeconds(59);
        Assert.Same(alice, cache.Find("alice", "alice-pw"));
        _clock.Now += TimeSpan.FromSeconds(1);
        Assert.Null(cache.Find("alice", "alice-pw"));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Cache_IsBounded()
    {
        var cache = new VerifiedCredentialCache(_clock, TimeSpan.FromSeconds(60), capacity: 8);
        var alice = _users.Find("alice")!;
        for (var i = 0; i < 100; i++)
        {
            cache.Add("alice", $"pw-{i}", alice);
            _clock.Now += TimeSpan.FromMilliseconds(1);
        }
        Assert.Equal(8, cache.Count);
        Assert.Same(alice, cache.Find("alice", "pw-99"));
        Assert.Null(cache.Find("alice", "pw-0"));
    }

    [Fact]
    public void Cache_HoldsNoPasswordBytes()
    {
        // The table's keys are HMACs; the password appears nowhere in the cache's own state.
        var cache = new VerifiedCredentialCache(_clock);
        cache.Add("alice", "a-very-recognisable-password", _users.Find("alice")!);
        var fields = typeof(VerifiedCredentialCache).GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic);
        var entries = (System.Collections.IDictionary)fields.Single(f => f.Name == "_entries").GetValue(cache)!;
        var key = (string)entries.Keys.Cast<object>().Single();
        Assert.Equal(32, Convert.FromBase64String(key).Length);
        Assert.DoesNotContain("recognisable", key, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_RightPasswordCostsOneBcrypt_ThenHitsTheCache_WrongPasswordsAlwaysCostOne()
    {
        var check = Authenticator(perUser: 100);
        Assert.NotNull(check.Check("192.0.2.1", "alice", "alice-pw").Account);
        Assert.Equal(1, _users.PasswordChecks);
        for (var i = 0; i < 5; i++) Assert.NotNull(check.Check("192.0.2.1", "alice", "alice-pw").Account);
        Assert.Equal(1, _users.PasswordChecks);

        for (var i = 0; i < 3; i++) Assert.Null(check.Check("192.0.2.1", "alice", "wrong").Account);
        Assert.Equal(4, _users.PasswordChecks);

        _clock.Now += TimeSpan.FromSeconds(61);
        Assert.NotNull(check.Check("192.0.2.1", "alice", "alice-pw").Account);
        Assert.Equal(5, _users.PasswordChecks);
    }

    [Fact]
    public void Check_WhenThrottled_ComputesNothing_EvenForTheRightPassword()
    {
        var check = Authenticator(perUser: 2);
        Assert.NotNull(check.Check("192.0.2.1", "alice", "alice-pw").Account);
        check.Check("192.0.2.66", "alice", "guess-1");
        check.Check("192.0.2.66", "alice", "guess-2");
        var before = _users.PasswordChecks;

        var refused = check.Check("192.0.2.66", "alice", "guess-3");
        Assert.True(refused.IsThrottled);
        Assert.Null(refused.Account);
        // Not even the cached right password answers while the user is locked: otherwise guesses would go on against the cache.
        var cachedButLocked = check.Check("192.0.2.66", "alice", "alice-pw");
        Assert.True(cachedButLocked.IsThrottled);
        Assert.Equal(before, _users.PasswordChecks);

        _clock.Now += TimeSpan.FromMinutes(5);
        Assert.NotNull(check.Check("192.0.2.1", "alice", "alice-pw").Account);
    }

    private PasswordAuthenticator Authenticator(int perUser) =>
        new(_users, new FailedLoginLimiter(100, perUser, TimeSpan.FromMinutes(5), _clock), new VerifiedCredentialCache(_clock, TimeSpan.FromSeconds(60)));
}
