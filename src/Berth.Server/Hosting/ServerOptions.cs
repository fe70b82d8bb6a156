using Berth.Auth;
using Berth.Registry;
using Berth.Server.Limits;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Hosting;

public sealed record ServerOptions
{
    /// <summary>HOST:PORT to listen on; port 0 picks a free port (tests).</summary>
    public string Listen { get; init; } = "127.0.0.1:5000";

    public RegistryOptions Registry { get; init; } = new();

    /// <summary>Send "OCI-Distribution-RFC7232: yes": Berth's promise that preconditions are honoured.</summary>
    public bool AnnounceConditionalRequests { get; init; } = true;

    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>
    /// A client that takes longer than this to send its headers, or whose body stalls below 240 B/s for
    /// this long, is disconnected (slowloris protection).
    /// </summary>
    public TimeSpan ClientStallTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How often online garbage collection runs; zero or less disables it.</summary>
    public TimeSpan GarbageCollectionInterval { get; init; } = TimeSpan.FromHours(6);

    /// <summary>How often expired upload sessions are swept.</summary>
    public TimeSpan UploadSweepInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Authentication and access control; null (the default) lets every request through.</summary>
    public AuthOptions? Auth { get; init; }

    /// <summary>HTTPS with HTTP/2; null serves plain HTTP/1.1.</summary>
    public TlsOptions? Tls { get; init; }

    /// <summary>Pull-through cache of upstream registries under local prefixes; null (the default) for none.</summary>
    public Cache.Configuration.CacheOptions? Cache { get; init; }

    /// <summary>Webhook endpoints for the registry's events (push, delete, mount, tag-moved, pull); none by default.</summary>
    public Events.Configuration.NotificationOptions Notifications { get; init; } = new();

    /// <summary>Request rate limits; null for none.</summary>
    public RateLimitOptions? RateLimits { get; init; }

    /// <summary>
    /// Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For is believed for the client address
    /// used by rate limits and logs. Empty (the default): the header is ignored.
    /// </summary>
    public IReadOnlyList<string> TrustedProxies { get; init; } = [];

    /// <summary>Console log lines as text (the default) or one JSON object per line for log shippers.</summary>
    public LogFormat LogFormat { get; init; } = LogFormat.Text;

    /// <summary>
    /// Access-log lines held while the output (stdout) is slower than the requests; beyond, lines are dropped and
    /// counted rather than making requests wait (<see cref="Logging.AccessLogWriter.Add"/>). At least 1.
    /// </summary>
    public int AccessLogQueueCapacity { get; init; } = Logging.AccessLogWriter.DefaultQueueCapacity;

    /// <summary>Where the access log goes instead of stdout (embedding applications, tests); the caller owns the stream.</summary>
    public Stream? AccessLogOutput { get; init; }

    /// <summary>Prometheus metrics at /metrics.</summary>
    public Observability.MetricsOptions Metrics { get; init; } = new();

    /// <summary>OpenTelemetry traces over OTLP; off unless an endpoint is set.</summary>
    public Observability.TracingOptions Tracing { get; init; } = new();

    /// <summary>When /readyz reports the replica unready.</summary>
    public Observability.ReadinessOptions Readiness { get; init; } = new();

    /// <summary>The web UI under /ui/ (with / redirecting there).</summary>
    public UiOptions Ui { get; init; } = new();

    /// <summary>Log destinations in addition to the console (embedding applications, tests).</summary>
    public IReadOnlyList<ILoggerProvider> LoggerProviders { get; init; } = [];
}

public sealed record UiOptions
{
    /// <summary>Serve the web UI; on by default, since it shows only what the access rules let each viewer pull.</summary>
    public bool Enabled { get; init; } = true;
}

public enum LogFormat
{
    Text,
    Json,
}
