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
        app.Map(ReadinessPath, ready => ready.Run(async context =>
        {
            var report = await registry.Readiness.CheckAsync(options.Readiness.MinimumFreeBytes, context.RequestAborted);
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
