using System.ComponentModel.DataAnnotations;

namespace Berth.Server.Observability;

/// <summary>Prometheus metrics (OpenTelemetry's exporter, text format 0.0.4 or OpenMetrics as the scraper asks).</summary>
public sealed record MetricsOptions : IValidatableObject
{
    /// <summary>Serve /metrics; on by default, since it names no repository and holds no secret.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// HOST:PORT of a listener of its own for /metrics, /healthz and /readyz, e.g. an address only the monitoring
    /// network reaches; null (the default) serves them on the registry's own listener.
    /// </summary>
    public string? Listen { get; init; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Listen is null) yield break;
        string? problem = null;
        try
        {
            Hosting.RegistryServer.ParseListen(Listen);
        }
        catch (FormatException e)
        {
            problem = e.Message.Replace("--listen", "metrics.listen", StringComparison.Ordinal);
        }
        if (problem is not null) yield return new ValidationResult(problem, [nameof(Listen)]);
    }
}

/// <summary>OpenTelemetry traces of requests, with spans for storage and upstream calls, sent over OTLP.</summary>
public sealed record TracingOptions
{
    /// <summary>
    /// The collector to send spans to, e.g. http://collector:4317 (gRPC) or http://collector:4318/v1/traces
    /// (HTTP/protobuf); null (the default) records no traces.
    /// </summary>
    public Uri? OtlpEndpoint { get; init; }

    public OtlpProtocol OtlpProtocol { get; init; } = OtlpProtocol.Grpc;

    /// <summary>The service.name resource attribute of every span and metric.</summary>
    public string ServiceName { get; init; } = "berth";
}

public enum OtlpProtocol
{
    Grpc,
    HttpProtobuf,
}

/// <summary>When /readyz answers 503.</summary>
public sealed record ReadinessOptions
{
    /// <summary>Less free space than this in the data folder makes the replica unready (pushes would soon get 507).</summary>
    [Range(0, long.MaxValue)]
    public long MinimumFreeBytes { get; init; } = 64L * 1024 * 1024;
}
