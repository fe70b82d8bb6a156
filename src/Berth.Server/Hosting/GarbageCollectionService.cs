using Berth.Registry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Berth.Server.Logging;

namespace Berth.Server.Hosting;

/// <summary>Runs online garbage collection on a schedule inside <c>berth serve</c>.</summary>
internal sealed partial class GarbageCollectionService(BerthRegistry registry, ServerOptions options, TimeProvider time, ILogger<GarbageCollectionService> logger)
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
                    var report = await registry.GarbageCollector.CollectAsync(dryRun: false);
                    if (report.SkippedBecauseAnotherCollectorRuns)
                    {
                        logger.GarbageCollectionSkipped();
                        continue;
                    }
                    logger.GarbageCollected(report.BlobsDeleted.Count, report.BytesFreed, report.BlobLinksRemoved.Count,
                        report.ManifestsRemoved.Count, report.UploadsExpired);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.GarbageCollectionFailed(e);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
