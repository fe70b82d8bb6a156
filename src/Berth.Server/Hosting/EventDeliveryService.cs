using Berth.Events;
using Microsoft.Extensions.Hosting;

namespace Berth.Server.Hosting;

/// <summary>Runs the notification dispatcher (and the pull-event writer) for as long as the host runs.</summary>
internal sealed class EventDeliveryService(RegistryNotifications notifications) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => notifications.RunAsync(stoppingToken);
}
