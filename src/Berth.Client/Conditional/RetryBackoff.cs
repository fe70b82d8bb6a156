namespace Berth.Client.Conditional;

/// <summary>
/// Exponential back-off with full jitter between conditional retries: writers that lost the same race
/// spread out instead of colliding again in lock-step (conditional-requests §5.4 step 3).
/// </summary>
internal sealed class RetryBackoff(TimeSpan baseDelay, TimeSpan maxDelay)
{
    public TimeSpan DelayBefore(int retry)
    {
        var ceiling = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry, 16)));
        return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
    }
}
