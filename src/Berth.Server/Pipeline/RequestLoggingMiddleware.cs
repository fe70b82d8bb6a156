using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Pipeline;

/// <summary>One log line per request: method, path, status, bytes sent and duration.</summary>
public sealed partial class RequestLoggingMiddleware(RequestDelegate next, ILogger<RequestLoggingMiddleware> logger)
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
            LogRequest(logger, LoggedText.Escape(request.Method), LoggedText.Escape(request.Path.Value), LoggedText.Escape(request.QueryString.Value),
                context.Response.StatusCode, context.Response.ContentLength ?? -1, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                context.Connection.RemoteIpAddress?.ToString() ?? "-");
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Method} {Path}{Query} {Status} {Length} {Milliseconds:0.0}ms {Client}")]
    private static partial void LogRequest(ILogger logger, string method, string path, string query, int status, long length, double milliseconds, string client);
}
