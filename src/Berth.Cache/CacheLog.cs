using Microsoft.Extensions.Logging;

namespace Berth.Cache;

/// <summary>
/// Every log message of Berth.Cache, with its event id: 3000-3999 (Berth.Server 1-999, Berth.Storage 1000-1999,
/// Berth.Registry 2000-2999). Each cached response is one line: hit, miss, revalidated or stale.
/// </summary>
internal static partial class CacheLog
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Cache {Outcome} {Repository}:{Reference} (upstream {Upstream})")]
    public static partial void Served(this ILogger logger, CacheOutcome outcome, string repository, string reference, string upstream);

    // A hit is the common case and costs no upstream request: at Debug, so the request log stays one line per request.
    [LoggerMessage(EventId = 3006, Level = LogLevel.Debug, Message = "Cache Hit {Repository}:{Reference} (upstream {Upstream})")]
    public static partial void Hit(this ILogger logger, string repository, string reference, string upstream);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Cache: upstream moved {Repository}:{Tag} from {OldDigest} to {NewDigest}")]
    public static partial void TagMoved(this ILogger logger, string repository, string tag, string oldDigest, string newDigest);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning,
        Message = "Cache: upstream {Upstream} failed for {Repository}:{Reference} ({Why}); serving the copy last checked {Age} ago")]
    public static partial void ServingStale(this ILogger logger, string upstream, string repository, string reference, string why, TimeSpan age);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Cache: upstream {Upstream} failed for {Repository}:{Reference} and nothing may be served instead: {Why}")]
    public static partial void UpstreamFailed(this ILogger logger, string upstream, string repository, string reference, string why);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Cache: evicted {Repository}@{Digest}, last pulled {Unused} ago")]
    public static partial void Evicted(this ILogger logger, string repository, string digest, TimeSpan unused);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Cache: upstream no longer has {Repository}:{Tag}; the cached tag is removed")]
    public static partial void TagGoneUpstream(this ILogger logger, string repository, string tag);
}

/// <summary>How a cached response was served.</summary>
public enum CacheOutcome
{
    /// <summary>From the cache, without asking upstream (within the tag's ttl, or immutable content).</summary>
    Hit,
    /// <summary>Fetched from upstream and stored.</summary>
    Miss,
    /// <summary>Upstream confirmed the cached tag (304 or the same digest); no body was transferred.</summary>
    Revalidated,
    /// <summary>Upstream failed; the cached copy was served within maxStale.</summary>
    Stale,
}
