using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Berth.Server.Logging;

namespace Berth.Server.Pipeline;

/// <summary>One log line per request: method, path, status, bytes sent, duration, client and trace id ("-" without tracing).</summary>
internal sealed partial class RequestLoggingMiddleware(RequestDelegate next, ILogger<RequestLoggingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!logger.IsEnabled(LogLevel.Information))
        {
            await next(context);
            return;
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var request = context.Request;
            // The path is logged as decoded, before any validation: escape what could forge or hide log lines.
            logger.RequestCompleted(LoggedText.Escape(request.Method), LoggedText.Escape((request.PathBase + request.Path).Value), LoggedText.Escape(request.QueryString.Value),
                context.Response.StatusCode, context.Response.ContentLength ?? -1, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                context.Connection.RemoteIpAddress?.ToString() ?? "-", Activity.Current?.TraceId.ToHexString() ?? "-");
        }
    }
}
