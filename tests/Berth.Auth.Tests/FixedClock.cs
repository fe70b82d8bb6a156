namespace Berth.Auth.Tests;

/// <summary>A clock the test sets, so expiry and clock skew are checked to the second.</summary>
public sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
