using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Berth.Events.Delivery;

/// <summary>
/// Delivery instruments (meter "Berth.Events"): attempts by endpoint and outcome, their latency, and events given up.
/// Labelled by endpoint name (from configuration, so bounded), never by repository.
/// </summary>
public static class EventMetrics
{
    public const string MeterName = "Berth.Events";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Attempts = Meter.CreateCounter<long>("berth.events.delivery.attempts", "{attempt}",
        "Webhook deliveries attempted, by endpoint and outcome (delivered, failed)");

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>("berth.events.delivery.duration", "s",
        "Time from sending an event to the endpoint's answer");

    private static readonly Counter<long> GivenUp = Meter.CreateCounter<long>("berth.events.given_up", "{event}",
        "Events no longer retried (older than the endpoint's giveUpAfter)");

    internal static void Attempted(string endpoint, bool delivered, TimeSpan duration)
    {
        var tags = new TagList { { "endpoint", endpoint }, { "outcome", delivered ? "delivered" : "failed" } };
        Attempts.Add(1, tags);
        Duration.Record(duration.TotalSeconds, new TagList { { "endpoint", endpoint } });
    }

    internal static void GaveUp(string endpoint) => GivenUp.Add(1, new TagList { { "endpoint", endpoint } });
}
