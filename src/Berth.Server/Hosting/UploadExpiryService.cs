using Berth.Registry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Berth.Server.Logging;

namespace Berth.Server.Hosting;

/// <summary>Removes upload sessions (and their data) that have been idle longer than the configured expiry.</summary>
internal sealed partial class UploadExpiryService(BerthRegistry registry, ServerOptions options, TimeProvider time, ILogger<UploadExpiryService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.UploadSweepInterval, time);
        do
        {
            try
            {
                var removed = await registry.Uploads.ExpireIdleAsync();
                if (removed > 0) logger.UploadsExpired(removed);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.UploadSweepFailed(e);
            }
        }
        while (await NextTickAsync(timer, stoppingToken));
    }

    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
