using System.Diagnostics;
using Berth.Server.Pipeline;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Observability;

/// <summary>Records every request of a branch in <see cref="ServerMetrics"/> once it has been answered.</summary>
internal sealed class RequestMetricsMiddleware(RequestDelegate next, ServerMetrics metrics, string? fixedRoute = null)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var request = context.Request;
        // Chunked uploads (docker's PATCH) announce no length: count what is read instead.
        CountingReadStream? counted = null;
        if (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0)
        {
            request.Body = counted = new CountingReadStream(request.Body);
        }
        try
        {
            await next(context);
        }
        finally
        {
            var route = fixedRoute ?? (RegistryRoute.Of(context).Path is { } path ? ServerMetrics.TemplateOf(path.Kind) : "other");
            var method = ServerMetrics.MethodLabel(request.Method);
            var sent = HttpMethods.IsHead(request.Method) ? 0 : context.Response.ContentLength ?? 0;
            metrics.RequestCompleted(route, method, context.Response.StatusCode, counted?.BytesRead ?? request.ContentLength ?? 0, sent,
                Stopwatch.GetElapsedTime(started), request.Headers.Authorization.Count > 0);
        }
    }
}
