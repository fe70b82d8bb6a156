using Berth.Oci.Errors;
using Berth.Server.Responses;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Pipeline;

/// <summary>
/// Turns failures into honest responses: a client that went away gets nothing, a malformed request
/// that Kestrel detected gets its 4xx, a full disk gets 507, and anything unexpected is logged and
/// answered 500 without taking the process down.
/// </summary>
public sealed partial class ErrorBoundaryMiddleware(RequestDelegate next, ILogger<ErrorBoundaryMiddleware> logger)
{
    private const int ENOSPC = 28;
    private const int EDQUOT = 122;

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client disconnected; what was stored so far is consistent and nobody is listening.
        }
        catch (BadHttpRequestException e)
        {
            await TryWriteAsync(context, new RegistryError(e.StatusCode, null, $"bad request: {e.Message}"));
        }
        catch (IOException e) when (e is Storage.StorageFullException || (e.HResult & 0xFFFF) is ENOSPC or EDQUOT)
        {
            LogDiskFull(logger, e.Message);
            await TryWriteAsync(context, new RegistryError(StatusCodes.Status507InsufficientStorage, null,
                "the registry's storage is full; nothing was stored by this request"));
        }
        catch (Storage.StorageUnavailableException e) when (!context.RequestAborted.IsCancellationRequested)
        {
            // An object store that cannot be reached: nothing became visible, the client may retry later.
            LogStorageUnavailable(logger, e.Message);
            await TryWriteAsync(context, new RegistryError(StatusCodes.Status503ServiceUnavailable, null,
                "the registry's blob storage is unavailable; nothing was stored by this request, retry later")
            {
                Headers = new Dictionary<string, string> { ["Retry-After"] = "5" },
            });
        }
        catch (Exception e) when (e is IOException && context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            LogUnhandled(logger, e, context.Request.Method, context.Request.Path.Value ?? "");
            await TryWriteAsync(context, new RegistryError(StatusCodes.Status500InternalServerError, null, "internal error"));
        }
    }

    private static Task TryWriteAsync(HttpContext context, RegistryError error)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        context.Response.Clear();
        return ErrorResponse.WriteAsync(context, error);
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "Blob storage unavailable: {Reason}")]
    private static partial void LogStorageUnavailable(ILogger logger, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Critical, Message = "Storage is full: {Reason}")]
    private static partial void LogDiskFull(ILogger logger, string reason);
}
