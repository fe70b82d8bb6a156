using Berth.Server.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Berth.Server.Observability;

/// <summary>OpenTelemetry for Berth: which meters /metrics exports and which sources a trace is made of.</summary>
internal static class TelemetryRegistration
{
    /// <summary>
    /// Berth's own meters, the HTTP client's (upstream registries and object stores: latency per server address),
    /// Kestrel's connections and the .NET runtime (GC, thread pool, allocations).
    /// </summary>
    private static readonly string[] Meters =
        [ServerMetrics.MeterName, Storage.StorageMetrics.MeterName, Cache.CacheMetrics.MeterName, Events.Delivery.EventMetrics.MeterName,
        "System.Net.Http", "Microsoft.AspNetCore.Server.Kestrel"];

    /// <summary>Spans: the requests (ASP.NET Core), storage writes, and every outgoing call (HttpClient: S3, Azure Blob, upstreams; Npgsql).</summary>
    private static readonly string[] TraceSources = [Storage.StorageActivities.SourceName, "System.Net.Http", "Npgsql"];

    public static void AddBerthTelemetry(this IServiceCollection services, ServerOptions options)
    {
        services.AddMetrics();
        services.AddSingleton<ServerMetrics>();
        if (!options.Metrics.Enabled && options.Tracing.OtlpEndpoint is null) return;
        var telemetry = services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService(options.Tracing.ServiceName));
        if (options.Metrics.Enabled)
        {
            telemetry.WithMetrics(metrics => metrics.AddMeter(Meters).AddRuntimeInstrumentation().AddPrometheusExporter());
        }
        if (options.Tracing.OtlpEndpoint is { } endpoint)
        {
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation()
                .AddSource(TraceSources)
                .AddOtlpExporter(otlp =>
                {
                    otlp.Endpoint = endpoint;
                    otlp.Protocol = options.Tracing.OtlpProtocol == OtlpProtocol.Grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                }));
        }
    }
}
