using System.Threading.Channels;
using Berth.Events.Configuration;
using Berth.Events.Delivery;
using Berth.Oci.Digests;
using Berth.Storage.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Events;

/// <summary>
/// The notification subsystem of one registry process: the planner that writes record events through, the
/// dispatcher that delivers them, and the recorder of pull events. A reload swaps endpoints in all three.
/// </summary>
public sealed class RegistryNotifications : IDisposable
{
    /// <summary>Pull events waiting to be written; beyond this, new ones are dropped (a read must never wait on them).</summary>
    private const int PullQueueLimit = 10_000;

    private readonly IEventOutbox _outbox;
    private readonly ILogger _logger;
    private readonly Channel<RepositoryChange> _pulls =
        Channel.CreateBounded<RepositoryChange>(new BoundedChannelOptions(PullQueueLimit) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public RegistryNotifications(NotificationOptions options, IEventOutbox outbox, EventSource source, TimeProvider? time = null, ILogger? logger = null)
    {
        _outbox = outbox;
        _logger = logger ?? NullLogger.Instance;
        Planner = new EventPlanner(options, source, time);
        Dispatcher = new EventDispatcher(options, outbox, time, _logger);
        Planner.Planned += Dispatcher.Wake;
        Use(options);
    }

    public EventPlanner Planner { get; }
    public EventDispatcher Dispatcher { get; }

    public void Reload(NotificationOptions options)
    {
        Planner.Reload(options);
        Dispatcher.Reload(options);
        Use(options);
    }

    // Without endpoints the store gets no planner, so writes do not even collect their changes.
    private void Use(NotificationOptions options) => _outbox.EventPlanner = options.Endpoints.Count > 0 ? Planner : null;

    /// <summary>
    /// Reports a manifest or blob read. Pulls are not writes, so their events are best effort: queued in memory and
    /// written to the outbox in batches, lost if the process dies first, dropped when the queue is full. Only
    /// recorded when an endpoint asked for pulls.
    /// </summary>
    public void Pulled(string repository, Digest digest, string? mediaType, long size, string? tag, string? actor)
    {
        if (!Planner.WantsPulls) return;
        var kind = mediaType is null ? ChangeKind.BlobPulled : ChangeKind.ManifestPulled;
        _pulls.Writer.TryWrite(new RepositoryChange(kind, repository, digest) { MediaType = mediaType, Size = size, Tag = tag, Actor = actor });
    }

    /// <summary>Delivers events and writes pull events until <paramref name="stopping"/>.</summary>
    public Task RunAsync(CancellationToken stopping) => Task.WhenAll(Dispatcher.RunAsync(stopping), WritePullsAsync(stopping));

    private async Task WritePullsAsync(CancellationToken stopping)
    {
        var batch = new List<RepositoryChange>();
        try
        {
            while (await _pulls.Reader.WaitToReadAsync(stopping))
            {
                batch.Clear();
                while (batch.Count < 256 && _pulls.Reader.TryRead(out var pull)) batch.Add(pull);
                try
                {
                    await _outbox.AppendEventsAsync(Planner.Plan(batch));
                }
                catch (Exception e) when (!stopping.IsCancellationRequested)
                {
                    EventLog.OutboxUnavailable(_logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public void Dispose() => Dispatcher.Dispose();
}
