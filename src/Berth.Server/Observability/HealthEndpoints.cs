using System.Text.Json;
using Berth.Registry;
using Berth.Server.Hosting;
using Berth.Server.Logging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Observability;

/// <summary>
/// /healthz (the process serves requests: liveness) and /readyz (the stores answer and the data folder takes writes:
/// readiness), outside /v2/ and outside authentication, as load balancers and Kubernetes probe them. The body names
/// the checks and whether each passed, nothing more (no paths, no error text: anyone may call it); the reason of a
/// failure is logged.
/// </summary>
internal static class HealthEndpoints
{
    public const string LivenessPath = "/healthz";
    public const string ReadinessPath = "/readyz";

    public static void MapHealthEndpoints(this IApplicationBuilder app)
    {
        app.Map(LivenessPath, live => live.Run(context => WriteAsync(context, 200, """{"status":"alive"}"""u8.ToArray())));
        var registry = app.ApplicationServices.GetRequiredService<BerthRegistry>();
        var options = app.ApplicationServices.GetRequiredService<ServerOptions>();
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Berth.Server.Readiness");
        // Anyone may call /readyz and each check writes and fsyncs a file: callers arriving while a check runs share
        // its report, so a flood of probes costs one check at a time, not one each.
        var shared = new SharedCheck(() => registry.Readiness.CheckAsync(options.Readiness.MinimumFreeBytes, CancellationToken.None));
        app.Map(ReadinessPath, ready => ready.Run(async context =>
        {
            var report = await shared.RunAsync().WaitAsync(context.RequestAborted);
            foreach (var failed in report.Checks.Where(check => !check.Passed)) logger.NotReady(failed.Name, failed.Problem!);
            using var body = new MemoryStream();
            using (var json = new Utf8JsonWriter(body))
            {
                json.WriteStartObject();
                json.WriteString("status", report.IsReady ? "ready" : "unready");
                json.WriteStartObject("checks");
                foreach (var check in report.Checks) json.WriteString(check.Name, check.Passed ? "pass" : "fail");
                json.WriteEndObject();
                json.WriteEndObject();
            }
            await WriteAsync(context, report.IsReady ? 200 : 503, body.ToArray());
        }));
    }

    /// <summary>One readiness check at a time; whoever asks while it runs gets its result.</summary>
    private sealed class SharedCheck(Func<Task<Registry.Maintenance.ReadinessReport>> check)
    {
        private readonly Lock _lock = new();
        private Task<Registry.Maintenance.ReadinessReport>? _running;

        public Task<Registry.Maintenance.ReadinessReport> RunAsync()
        {
            lock (_lock)
            {
                if (_running is { IsCompleted: false } running) return running;
                return _running = check();
            }
        }
    }

    private static Task WriteAsync(HttpContext context, int status, byte[] body)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-store";
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }
}
