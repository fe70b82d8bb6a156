using Berth.Registry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Berth.Server.Logging;

namespace Berth.Server.Hosting;

/// <summary>
/// Runs online garbage collection on a schedule inside <c>berth serve</c>; with a pull-through cache, its eviction
/// first, so the blobs of evicted manifests go in the same run once their grace period has passed.
/// </summary>
internal sealed partial class GarbageCollectionService(BerthRegistry registry, ServerOptions options, TimeProvider time, ILogger<GarbageCollectionService> logger,
    Observability.ServerMetrics metrics, Cache.PullThroughCache? cache = null)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.GarbageCollectionInterval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(options.GarbageCollectionInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    if (cache is not null) await cache.EvictAsync(stoppingToken);
                    var report = await registry.GarbageCollector.CollectAsync(dryRun: false);
                    if (report.SkippedBecauseAnotherCollectorRuns)
                    {
                        logger.GarbageCollectionSkipped();
                        metrics.GarbageCollected("skipped");
                        continue;
                    }
                    logger.GarbageCollected(report.BlobsDeleted.Count, report.BytesFreed, report.BlobLinksRemoved.Count,
                        report.ManifestsRemoved.Count, report.UploadsExpired);
                    metrics.GarbageCollected("completed", report.BytesFreed);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.GarbageCollectionFailed(e);
                    metrics.GarbageCollected("failed");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
