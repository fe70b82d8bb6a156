using Berth.Oci.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Berth.Server.Pipeline;

/// <summary>
/// How much request body the server will read. Until a request is authorised only a small body is allowed,
/// so a caller who will be refused cannot make the server read (or drain, after the refusal) gigabytes;
/// once authorised, upload and manifest routes get theirs.
/// </summary>
public static class RequestBodyLimits
{
    /// <summary>Enough for any token request form; no other route before authorisation needs a body.</summary>
    public const long BeforeAuthorisation = 64 * 1024;

    /// <summary>
    /// Called by the endpoint, which only runs for authorised requests: lifts the limit for the routes that
    /// carry content. The registry bounds them itself (maxBlobBytes, the 4 MiB manifest limit) and answers
    /// 413 in the spec's format; a server limit as well would cut the connection while the client is still
    /// sending, and the client would see a broken pipe instead of that answer.
    /// </summary>
    public static void RaiseForRoute(HttpContext context, RouteKind kind, string method)
    {
        if (kind is not (RouteKind.Manifest or RouteKind.UploadStart or RouteKind.Upload)) return;
        if (method is not ("PUT" or "POST" or "PATCH")) return;
        // Read-only once the body has started to be read; nothing reads it before the endpoint.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature) feature.MaxRequestBodySize = null;
    }

    /// <summary>
    /// A refusal (401, 403, 429) is sent without reading the body; on HTTP/1.1 the connection is then closed
    /// rather than kept alive, because keeping it would mean reading the unread body to find the next request.
    /// HTTP/2 ends just the stream and needs nothing.
    /// </summary>
    public static void CloseConnectionIfBodyUnread(HttpContext context)
    {
        var request = context.Request;
        if (!HttpProtocol.IsHttp11(request.Protocol) && !HttpProtocol.IsHttp10(request.Protocol)) return;
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is not { CanHaveBody: true }) return;
        context.Response.Headers.Connection = "close";
    }
}
