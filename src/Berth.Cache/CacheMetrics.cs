using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Berth.Cache;

/// <summary>
/// The pull-through cache's instruments (meter "Berth.Cache"), exported at /metrics as
/// berth_cache_requests_total{outcome="hit|miss|revalidated|stale"} and berth_cache_upstream_failures_total.
/// Never labelled by repository: names are unbounded and would explode the series count.
/// </summary>
public static class CacheMetrics
{
    public const string MeterName = "Berth.Cache";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("berth.cache.requests", "{request}",
        "Manifest and blob reads under a cache prefix, by how they were answered");

    private static readonly Counter<long> UpstreamFailures = Meter.CreateCounter<long>("berth.cache.upstream.failures", "{failure}",
        "Upstream requests that failed (network, timeout, 429, 5xx, content not matching its digest)");

    internal static void Served(CacheOutcome outcome) =>
        Requests.Add(1, new TagList { { "outcome", outcome switch
        {
            CacheOutcome.Hit => "hit",
            CacheOutcome.Miss => "miss",
            CacheOutcome.Revalidated => "revalidated",
            _ => "stale",
        } } });

    internal static void UpstreamFailed() => UpstreamFailures.Add(1);
}
