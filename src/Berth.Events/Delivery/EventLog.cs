using Microsoft.Extensions.Logging;

namespace Berth.Events.Delivery;

/// <summary>The notification subsystem's log events (ids 4000–4999, category Berth.Events).</summary>
internal static partial class EventLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning,
        Message = "Event {Id} for endpoint {Endpoint} (repository {Repository}) not delivered on attempt {Attempt}: {Reason}; next try in {Wait}")]
    public static partial void WillRetry(ILogger logger, long id, string endpoint, string repository, int attempt, TimeSpan wait, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error,
        Message = "Event {Id} for endpoint {Endpoint} (repository {Repository}) given up after {Attempts} attempts: {Reason}; `berth events` lists it, `berth events retry` sends it again")]
    public static partial void GaveUp(ILogger logger, long id, string endpoint, string repository, int attempts, string reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "The event outbox could not be read or updated; deliveries wait until it can")]
    public static partial void OutboxUnavailable(ILogger logger, Exception exception);
}
