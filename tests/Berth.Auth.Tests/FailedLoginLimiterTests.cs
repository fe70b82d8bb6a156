using Berth.Auth.Users;

namespace Berth.Auth.Tests;

/// <summary>The failed-login limiter on its own, with a clock the test moves.</summary>
public sealed class FailedLoginLimiterTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);
    private readonly FixedClock _clock = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void PerUser_RefusesAfterTheLimit_FromAnyAddress_UntilTheWindowEnds()
    {
        var limiter = new FailedLoginLimiter(perClientLimit: 0, perUserLimit: 3, Window, _clock);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(limiter.MayAttempt($"10.0.0.{i}", "alice", out _));
            limiter.RecordFailure($"10.0.0.{i}", "alice");
            _clock.Now += TimeSpan.FromSeconds(10);
        }
        Assert.False(limiter.MayAttempt("10.0.0.99", "alice", out var retryAfter));
        // The window started at the first failure, 30 s ago.
        Assert.Equal(Window - TimeSpan.FromSeconds(30), retryAfter);
        Assert.True(limiter.MayAttempt("10.0.0.99", "bob", out _));

        _clock.Now += retryAfter;
        Assert.True(limiter.MayAttempt("10.0.0.99", "alice", out retryAfter));
        Assert.Equal(TimeSpan.Zero, retryAfter);
    }

    [Fact]
    public void PerClient_RefusesEveryUserName_FromThatAddress()
    {
        var limiter = new FailedLoginLimiter(perClientLimit: 4, perUserLimit: 0, Window, _clock);
        for (var i = 0; i < 4; i++) limiter.RecordFailure("192.0.2.7", $"user{i}");
        Assert.False(limiter.MayAttempt("192.0.2.7", "somebody-new", out var retryAfter));
        Assert.Equal(Window, retryAfter);
        Assert.True(limiter.MayAttempt("192.0.2.8", "somebody-new", out _));
    }

    [Fact]
    public void Success_ResetsTheUsersCount_ButNotTheAddresses()
    {
        var limiter = new FailedLoginLimiter(perClientLimit: 3, perUserLimit: 2, Window, _clock);
        limiter.RecordFailure("192.0.2.1", "alice");
        limiter.RecordSuccess("alice");
        limiter.RecordFailure("192.0.2.1", "alice");
        Assert.True(limiter.MayAttempt("192.0.2.2", "alice", out _));

        // An attacker logging into an account of their own between guesses does not clear their address.
        limiter.RecordSuccess("mallory");
        limiter.RecordFailure("192.0.2.1", "bob");
        limiter.RecordSuccess("mallory");
        limiter.RecordFailure("192.0.2.1", "carol");
        Assert.False(limiter.MayAttempt("192.0.2.1", "dave", out _));
    }

    [Fact]
    public void LongUserNames_AreCountedLikeShortOnes()
    {
        var limiter = new FailedLoginLimiter(perClientLimit: 0, perUserLimit: 2, Window, _clock);
        var longName = new string('n', 50_000);
        limiter.RecordFailure("192.0.2.1", longName);
        limiter.RecordFailure("192.0.2.2", longName);
        Assert.False(limiter.MayAttempt("192.0.2.3", longName, out _));
        Assert.True(limiter.MayAttempt("192.0.2.3", longName + "x", out _));
        limiter.RecordSuccess(longName);
        Assert.True(limiter.MayAttempt("192.0.2.3", longName, out _));
    }

    [Fact]
    public void ZeroLimits_TurnTheLimiterOff()
    {
        var limiter = new FailedLoginLimiter(0, 0, TimeSpan.Zero, _clock);
        for (var i = 0; i < 1000; i++) limiter.RecordFailure("192.0.2.1", "alice");
        Assert.True(limiter.MayAttempt("192.0.2.1", "alice", out var retryAfter));
        Assert.Equal(TimeSpan.Zero, retryAfter);
    }

    [Fact]
    public void BadSettings_AreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FailedLoginLimiter(-1, 5, Window, _clock));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FailedLoginLimiter(5, 5, TimeSpan.Zero, _clock));
    }

    [Fact]
    public void ATableFullOfLiveCounters_StaysBounded_AndKeepsTheNewest()
    {
        var limiter = new FailedLoginLimiter(perClientLimit: 1, perUserLimit: 0, Window, _clock);
        for (var i = 0; i < FailedLoginLimiter.MaxEntries; i++)
        {
            limiter.RecordFailure($"client-{i}", "x");
            _clock.Now += TimeSpan.FromTicks(1);
        }
        limiter.RecordFailure("newest", "x");
        Assert.False(limiter.MayAttempt("newest", "x", out _));
        // The counter whose window ended soonest made room; the others are still counted.
        Assert.True(limiter.MayAttempt("client-0", "x", out _));
        Assert.False(limiter.MayAttempt("client-1", "x", out _));
        Assert.False(limiter.MayAttempt($"client-{FailedLoginLimiter.MaxEntries - 1}", "x", out _));
    }
}
