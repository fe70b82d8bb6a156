using Berth.Registry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

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
                        LogSkipped(logger);
                        continue;
                    }
                    LogCollected(logger, report.BlobsDeleted.Count, report.BytesFreed, report.BlobLinksRemoved.Count,
                        report.ManifestsRemoved.Count, report.UploadsExpired);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Information,
        Message = "Garbage collection: {Blobs} blob(s) deleted, {Bytes} bytes freed, {Links} link(s) and {Manifests} manifest(s) removed, {Uploads} upload(s) expired")]
    private static partial void LogCollected(ILogger logger, int blobs, long bytes, int links, int manifests, int uploads);

    [LoggerMessage(EventId = 32, Level = LogLevel.Information, Message = "Garbage collection skipped: another replica is collecting")]
    private static partial void LogSkipped(ILogger logger);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "Garbage collection failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
