using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Berth.Server.Logging;

namespace Berth.Server.Pipeline;

/// <summary>
/// One log line per request: method, path, status, bytes sent, duration, client and trace id ("-" without tracing).
/// <c>berth serve</c> writes it with the <see cref="AccessLogWriter"/> (queued, formatted and written off the request
/// path); the logger gets it too when a destination other than the console wants it (an embedding application's
/// logging, a test's captured log).
/// </summary>
internal sealed partial class RequestLoggingMiddleware(RequestDelegate next, ILogger<RequestLoggingMiddleware> logger, AccessLogWriter? accessLog = null)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var logged = logger.IsEnabled(LogLevel.Information);
        if (accessLog is null && !logged)
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
            accessLog?.Add(context, started);
            if (logged)
            {
                var request = context.Request;
                // The path is logged as decoded, before any validation: escape what could forge or hide log lines.
                logger.RequestCompleted(LoggedText.Escape(request.Method), LoggedText.Escape((request.PathBase + request.Path).Value), LoggedText.Escape(request.QueryString.Value),
                    context.Response.StatusCode, context.Response.ContentLength ?? -1, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                    context.Connection.RemoteIpAddress?.ToString() ?? "-", Activity.Current?.TraceId.ToHexString() ?? "-");
            }
        }
    }
}
