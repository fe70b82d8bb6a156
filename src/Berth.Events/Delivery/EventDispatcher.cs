using System.Net.Http.Headers;
using Berth.Events.Configuration;
using Berth.Storage.Events;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Berth.Events.Delivery;

/// <summary>
/// Delivers the outbox's events: claims the oldest due event of each (endpoint, repository) group, POSTs each, and
/// deletes it once the receiver answered 2xx or 3xx (what CNCF Distribution counts as delivered); otherwise the event
/// waits with exponential backoff and stays its group's head, so later events of that repository wait behind it.
/// Every replica runs one; the outbox's leases keep them from sending one group's events concurrently.
/// </summary>
public sealed class EventDispatcher : IDisposable
{
    /// <summary>How often the outbox is read when this process planned nothing: events of other replicas, retries now due.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private const int ClaimLimit = 32;

    private readonly IEventOutbox _outbox;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly string _owner = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";
    private readonly SemaphoreSlim _wake = new(0);
    private volatile IReadOnlyDictionary<string, NotificationEndpoint> _endpoints;

    public EventDispatcher(NotificationOptions options, IEventOutbox outbox, TimeProvider? time = null, ILogger? logger = null,
        HttpMessageHandler? handler = null)
    {
        _outbox = outbox;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _endpoints = Index(options);
        // Redirects are not followed: a POST turned into a GET by a 302 would not deliver anything.
        _http = new HttpClient(handler ?? new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public void Reload(NotificationOptions options)
    {
        _endpoints = Index(options);
        Wake();
    }

    /// <summary>Asks the loop to look at the outbox now (this process has just planned events).</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var endpoints = _endpoints;
            IReadOnlyList<EventDelivery> claimed;
            try
            {
                claimed = endpoints.Count == 0 ? [] : await _outbox.ClaimEventsAsync(_owner, endpoints.Keys.ToArray(), ClaimLimit, LeaseFor(endpoints.Values));
            }
            catch (Exception e) when (!stopping.IsCancellationRequested)
            {
                EventLog.OutboxUnavailable(_logger, e);
                claimed = [];
            }
            if (claimed.Count == 0)
            {
                try
                {
                    await _wake.WaitAsync(PollInterval, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                continue;
            }
            // Different groups: independent of each other, so sent at once.
            await Task.WhenAll(claimed.Select(d => DeliverAsync(d, endpoints, stopping)));
        }
    }

    /// <summary>Long enough for one attempt at the slowest endpoint; a holder that dies frees its events after this.</summary>
    private static TimeSpan LeaseFor(IEnumerable<NotificationEndpoint> endpoints) => endpoints.Max(e => e.Timeout) + TimeSpan.FromSeconds(30);

    private async Task DeliverAsync(EventDelivery delivery, IReadOnlyDictionary<string, NotificationEndpoint> endpoints, CancellationToken stopping)
    {
        if (!endpoints.TryGetValue(delivery.Endpoint, out var endpoint)) return;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        string? failure;
        try
        {
            failure = await SendAsync(delivery, endpoint, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return; // Shutting down: the lease runs out and the event is sent again, by this process or another.
        }
        EventMetrics.Attempted(endpoint.Name, failure is null, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        try
        {
            if (failure is null)
            {
                await _outbox.CompleteEventAsync(delivery.Id);
                return;
            }
            var now = _time.GetUtcNow();
            if (now - delivery.CreatedAt >= endpoint.GiveUpAfter)
            {
                EventLog.GaveUp(_logger, delivery.Id, endpoint.Name, delivery.Repository, delivery.Attempts + 1, failure);
                EventMetrics.GaveUp(endpoint.Name);
                await _outbox.GiveUpEventAsync(delivery.Id, failure);
                return;
            }
            var wait = BackoffAfter(endpoint, delivery.Attempts + 1);
            EventLog.WillRetry(_logger, delivery.Id, endpoint.Name, delivery.Repository, delivery.Attempts + 1, wait, failure);
            await _outbox.RetryEventLaterAsync(delivery.Id, now + wait, failure);
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            // The outcome could not be recorded: the lease runs out and the event is sent again (at least once).
            EventLog.OutboxUnavailable(_logger, e);
        }
    }

    /// <summary>Null when delivered; otherwise why not, in words for the log and <c>berth events</c>.</summary>
    private async Task<string?> SendAsync(EventDelivery delivery, NotificationEndpoint endpoint, CancellationToken stopping)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        attempt.CancelAfter(endpoint.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new ByteArrayContent(delivery.Payload) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(EventEnvelope.MediaType);
        foreach (var (name, value) in endpoint.Headers) request.Headers.TryAddWithoutValidation(name, value);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
            var status = (int)response.StatusCode;
            return status is >= 200 and < 400 ? null : $"the endpoint answered {status}";
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return $"no answer within {endpoint.Timeout.TotalSeconds:0.###} s";
        }
        catch (HttpRequestException e)
        {
            return e.HttpRequestError == HttpRequestError.Unknown ? e.Message : $"{e.HttpRequestError}: {e.Message}";
        }
    }

    /// <summary>backoff × 2^(failures − 1), capped at maxBackoff, minus up to a fifth at random so replicas do not retry in step.</summary>
    public static TimeSpan BackoffAfter(NotificationEndpoint endpoint, int failures)
    {
        var doubled = endpoint.Backoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 30));
        var capped = Math.Min(doubled, endpoint.MaxBackoff.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (1 - Random.Shared.NextDouble() * 0.2));
    }

    private static IReadOnlyDictionary<string, NotificationEndpoint> Index(NotificationOptions options) =>
        options.Endpoints.ToDictionary(e => e.Name, StringComparer.Ordinal);

    public void Dispose()
    {
        _http.Dispose();
        _wake.Dispose();
    }
}
