using Berth.Oci.Errors;
using Berth.Server.Responses;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Berth.Server.Logging;

namespace Berth.Server.Pipeline;

/// <summary>
/// Turns failures into honest responses: a client that went away gets nothing, a malformed request
/// that Kestrel detected gets its 4xx, a full disk gets 507, an unreachable metadata
/// database 503, and anything unexpected is logged and answered 500 without taking the process down.
/// </summary>
internal sealed partial class ErrorBoundaryMiddleware(RequestDelegate next, ILogger<ErrorBoundaryMiddleware> logger)
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
            logger.StorageFull(e.Message);
            await TryWriteAsync(context, new RegistryError(StatusCodes.Status507InsufficientStorage, null,
                "the registry's storage is full; nothing was stored by this request"));
        }
        catch (Storage.Metadata.MetadataStoreUnavailableException e)
        {
            logger.MetadataUnavailable(e.Message);
            // RFC 9110 §15.6.4: 503 with Retry-After. distribution-spec's code list (closed) has no
            // "unavailable" code; TOOMANYREQUESTS (code-14) is the one whose client reaction (back off,
            // then retry) is right here, and the message says what actually happened.
            await TryWriteAsync(context, new RegistryError(StatusCodes.Status503ServiceUnavailable, ErrorCode.TooManyRequests,
                "the registry's metadata database is unreachable; retry shortly")
            {
                RetryAfter = TimeSpan.FromSeconds(5),
            });
        }
        catch (Storage.StorageUnavailableException e) when (!context.RequestAborted.IsCancellationRequested)
        {
            // An object store that cannot be reached: nothing became visible, the client may retry later.
            logger.BlobStorageUnavailable(e.Message);
            await TryWriteAsync(context, new RegistryError(StatusCodes.Status503ServiceUnavailable, ErrorCode.TooManyRequests,
                "the registry's blob storage is unavailable; nothing was stored by this request, retry later")
            {
                RetryAfter = TimeSpan.FromSeconds(5),
            });
        }
        catch (Exception e) when (e is IOException && context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.UnhandledError(e, LoggedText.Escape(context.Request.Method), LoggedText.Escape(context.Request.Path.Value));
            await TryWriteAsync(context, new RegistryError(StatusCodes.Status500InternalServerError, null, "internal error"));
        }
    }

    private static Task TryWriteAsync(HttpContext context, RegistryError error)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        context.Response.Clear();
        return ErrorResponse.WriteAsync(context, error);
    }
}
