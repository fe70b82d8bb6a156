using System.Threading.RateLimiting;

namespace Berth.Server.Limits;

/// <summary>
/// Rate-limit accounting: a token bucket per client address and one for everybody. A request takes a token
/// from its client's bucket, then from the global one; when either is empty the request is refused with the
/// time until the bucket has a token again (for Retry-After, RFC 9110 §10.2.3).
/// </summary>
internal sealed class RequestRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string>? _perClient;
    private readonly RateLimiter? _global;

    public RequestRateLimiter(RateLimitOptions options)
    {
        if (options.PerClient is { } perClient)
        {
            var bucket = BucketOptions(perClient, "perClient");
            _perClient = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetTokenBucketLimiter(client, _ => bucket));
        }
        if (options.Global is { } global) _global = new TokenBucketRateLimiter(BucketOptions(global, "global"));
    }

    public bool IsEnabled => _perClient is not null || _global is not null;

    /// <summary>True when the request may proceed; otherwise <paramref name="retryAfter"/> says when to come back.</summary>
    public bool TryAcquire(string client, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (_perClient is not null)
        {
            using var lease = _perClient.AttemptAcquire(client);
            if (!lease.IsAcquired) return Refused(lease, out retryAfter);
        }
        if (_global is not null)
        {
            using var lease = _global.AttemptAcquire();
            if (!lease.IsAcquired) return Refused(lease, out retryAfter);
        }
        return true;
    }

    public void Dispose()
    {
        _perClient?.Dispose();
        _global?.Dispose();
    }

    private static bool Refused(RateLimitLease lease, out TimeSpan retryAfter)
    {
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        return false;
    }

    private static TokenBucketRateLimiterOptions BucketOptions(RateLimit limit, string name)
    {
        if (limit.RequestsPerSecond <= 0) throw new ArgumentException($"rateLimits.{name}.requestsPerSecond must be positive");
        if (limit.Burst is <= 0) throw new ArgumentException($"rateLimits.{name}.burst must be positive");
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit.Burst ?? limit.RequestsPerSecond,
            TokensPerPeriod = limit.RequestsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }
}
