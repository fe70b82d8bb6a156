using System.Diagnostics;
using System.Diagnostics.Metrics;
using Berth.Oci.Api;

namespace Berth.Server.Observability;

/// <summary>
/// The HTTP layer's instruments (meter "Berth.Server"). Labels are the route template, method and status, never a
/// repository name or reference: those are unbounded and a client could grow the series count without limit.
/// </summary>
internal sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "Berth.Server";

    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _received;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _conditional;
    private readonly Counter<long> _authenticationFailures;
    private readonly Counter<long> _refused;
    private readonly Counter<long> _accessLogDropped;

    private readonly Counter<long> _collections;
    private readonly Counter<long> _freed;

    public ServerMetrics(IMeterFactory meters, Registry.BerthRegistry registry)
    {
        _meter = meters.Create(MeterName);
        _meter.CreateObservableGauge("berth.uploads.streaming", () => registry.Uploads.Streaming, "{request}",
            "Upload requests (POST, PATCH, PUT with a body) streaming data now");
        _collections = _meter.CreateCounter<long>("berth.gc.runs", "{run}", "Scheduled garbage collections, by outcome (completed, skipped, failed)");
        _freed = _meter.CreateCounter<long>("berth.gc.freed", "By", "Bytes of blobs deleted by garbage collection");
        _duration = _meter.CreateHistogram("berth.http.request.duration", "s", "Requests by route template, method and status",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _received = _meter.CreateCounter<long>("berth.http.request.body.size", "By", "Request body bytes received");
        _sent = _meter.CreateCounter<long>("berth.http.response.body.size", "By", "Response body bytes sent");
        _conditional = _meter.CreateCounter<long>("berth.conditional.outcomes", "{response}",
            "Conditional requests answered 304 Not Modified, 412 Precondition Failed or 428 Precondition Required (RFC 9110 §13, RFC 6585)");
        _authenticationFailures = _meter.CreateCounter<long>("berth.auth.failures", "{request}",
            "Requests that carried credentials and were answered 401");
        _refused = _meter.CreateCounter<long>("berth.ratelimit.refusals", "{request}", "Requests answered 429 Too Many Requests");
        _accessLogDropped = _meter.CreateCounter<long>("berth.access_log.dropped", "{line}",
            "Access-log lines dropped because the output was slower than the requests");
    }

    public void RequestCompleted(string route, string method, int status, long received, long sent, TimeSpan elapsed, bool carriedCredentials)
    {
        var tags = new TagList { { "route", route }, { "method", method }, { "status", StatusLabel(status) } };
        _duration.Record(elapsed.TotalSeconds, tags);
        if (received > 0) _received.Add(received, new TagList { { "route", route } });
        if (sent > 0) _sent.Add(sent, new TagList { { "route", route } });
        var outcome = status switch
        {
            304 => "not_modified",
            412 => "precondition_failed",
            428 => "precondition_required",
            _ => null,
        };
        if (outcome is not null) _conditional.Add(1, new TagList { { "route", route }, { "method", method }, { "outcome", outcome } });
        if (status == 401 && carriedCredentials) _authenticationFailures.Add(1, new TagList { { "route", route } });
        if (status == 429) _refused.Add(1, new TagList { { "route", route } });
    }

    public void AccessLogLineDropped(long lines = 1) => _accessLogDropped.Add(lines);

    /// <param name="outcome">"completed", "skipped" (another replica was collecting) or "failed".</param>
    public void GarbageCollected(string outcome, long bytesFreed = 0)
    {
        _collections.Add(1, new TagList { { "outcome", outcome } });
        if (bytesFreed > 0) _freed.Add(bytesFreed);
    }

    /// <summary>The route template of a /v2/ route, in the distribution-spec's own spelling.</summary>
    public static string TemplateOf(RouteKind kind) => kind switch
    {
        RouteKind.Base => "/v2/",
        RouteKind.Catalog => "/v2/_catalog",
        RouteKind.Manifest => "/v2/{name}/manifests/{reference}",
        RouteKind.Blob => "/v2/{name}/blobs/{digest}",
        RouteKind.UploadStart => "/v2/{name}/blobs/uploads/",
        RouteKind.Upload => "/v2/{name}/blobs/uploads/{reference}",
        RouteKind.TagsList => "/v2/{name}/tags/list",
        RouteKind.Referrers => "/v2/{name}/referrers/{digest}",
        RouteKind.TagHistory => "/v2/{name}/_berth/history/{tag}",
        _ => "other",
    };

    // Methods and statuses a client invents would each be a new series; unknown ones share one label.
    private static string StatusLabel(int status) => status is >= 100 and <= 599 ? StatusText[status - 100] : "other";

    private static readonly string[] StatusText = Enumerable.Range(100, 500).Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    public static string MethodLabel(string method) => method switch
    {
        "GET" or "HEAD" or "PUT" or "POST" or "PATCH" or "DELETE" or "OPTIONS" => method,
        _ => "other",
    };

    public void Dispose() => _meter.Dispose();
}
