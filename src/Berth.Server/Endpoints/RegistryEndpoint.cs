using Berth.Cache;
using Berth.Events;
using Berth.Oci.Api;
using Berth.Oci.Errors;
using Berth.Oci.Preconditions;
using Berth.Registry;
using Berth.Registry.Policies;
using Berth.Server.Pipeline;
using Berth.Server.Hosting;
using Berth.Server.Responses;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Berth.Server.Endpoints;

/// <summary>
/// The terminal handler for everything under /v2/. It recognises the route, then hands the request to
/// one method per endpoint (split into files by area of the spec), each of which parses what it
/// needs, calls one registry operation and writes the response.
/// </summary>
internal sealed partial class RegistryEndpoint
{
    private readonly BerthRegistry _registry;
    private readonly PullThroughCache? _cache;
    private readonly RegistryNotifications? _notifications;
    private readonly bool _accessControlled;

    public RegistryEndpoint(BerthRegistry registry, ServerOptions options, PullThroughCache? cache = null, RegistryNotifications? notifications = null)
    {
        _registry = registry;
        _cache = cache;
        _notifications = notifications;
        // Access control runs before this endpoint exactly when authentication is on.
        _accessControlled = options.Auth is not null;
    }

    public Task HandleAsync(HttpContext context)
    {
        // Path has had dot segments resolved by the server already; judge what the client sent.
        if (context.Features.Get<IHttpRequestFeature>()?.RawTarget is { } rawTarget && RegistryPath.HasDotSegment(rawTarget))
        {
            return ErrorResponse.WriteAsync(context, RegistryError.NameInvalid("path segments '.' and '..' are not allowed"));
        }
        var parsed = RegistryRoute.Of(context);
        if (parsed.Path is not { } route)
        {
            return ErrorResponse.WriteAsync(context, RegistryError.Unsupported("no such endpoint", 404));
        }
        var method = context.Request.Method;
        // Right after access control and before any syntax: the design's handler order (read-only → 405 first).
        if (WriteKindOf(route.Kind, method) is { } write && _registry.Admission.Refusal(write) is { } switchedOff)
        {
            context.Response.Headers.Allow = "GET, HEAD";
            return ErrorResponse.WriteAsync(context, switchedOff);
        }
        // Before any grammar or store sees them: control characters are refused with the code of the part they are in.
        if ((ControlCharacters.InRoute(route) ?? ControlCharacters.InQuery(QueryParameters(context.Request.Query))) is { } refused)
        {
            return ErrorResponse.WriteAsync(context, refused);
        }
        if (!parsed.NameIsValid)
        {
            return ErrorResponse.WriteAsync(context, RegistryError.NameInvalid("invalid repository name"));
        }
        RequestBodyLimits.RaiseForRoute(context, route.Kind, method);
        if (_cache?.Find(route.Name) is { } cached) return HandleCachedAsync(context, route, cached);
        return Dispatch(context, route, method);
    }

    private Task Dispatch(HttpContext context, RegistryPath route, string method) =>
        (route.Kind, method) switch
        {
            (RouteKind.Base, "GET" or "HEAD") => WriteJsonAsync(context, 200, "{}"u8.ToArray()),
            (RouteKind.Catalog, "GET" or "HEAD") => CatalogAsync(context),
            (RouteKind.Manifest, "GET" or "HEAD") => GetManifestAsync(context, route),
            (RouteKind.Manifest, "PUT") => PutManifestAsync(context, route),
            (RouteKind.Manifest, "DELETE") => DeleteManifestAsync(context, route),
            (RouteKind.Blob, "GET" or "HEAD") => GetBlobAsync(context, route),
            (RouteKind.Blob, "DELETE") => DeleteBlobAsync(context, route),
            (RouteKind.UploadStart, "POST") => StartUploadAsync(context, route),
            (RouteKind.Upload, "GET" or "HEAD") => UploadStatusAsync(context, route),
            (RouteKind.Upload, "PATCH") => AppendChunkAsync(context, route),
            (RouteKind.Upload, "PUT") => CompleteUploadAsync(context, route),
            (RouteKind.Upload, "DELETE") => CancelUploadAsync(context, route),
            (RouteKind.TagsList, "GET" or "HEAD") => ListTagsAsync(context, route),
            (RouteKind.Referrers, "GET" or "HEAD") => ReferrersAsync(context, route),
            (RouteKind.TagHistory, "GET" or "HEAD") => TagHistoryAsync(context, route),
            _ => MethodNotAllowedAsync(context, route.Kind),
        };

    /// <summary>What a request would change, for the operator's read-only and deletes-off switches; null for reads.</summary>
    private static WriteKind? WriteKindOf(RouteKind kind, string method) => (kind, method) switch
    {
        (RouteKind.Manifest, "PUT") or (RouteKind.UploadStart, "POST") or (RouteKind.Upload, "PATCH" or "PUT") => WriteKind.Push,
        (RouteKind.Manifest or RouteKind.Blob, "DELETE") => WriteKind.Delete,
        // Cancelling an upload frees space and changes nothing a client can read.
        _ => null,
    };

    /// <summary>
    /// A repository under a pull-through cache's prefix: reads of manifests and blobs are prepared by the cache
    /// (filled or revalidated from upstream), then answered by the same handlers as any read; writes are refused,
    /// since the content belongs to the upstream; listings and history show what the cache holds.
    /// </summary>
    private async Task HandleCachedAsync(HttpContext context, RegistryPath route, CachedRepository cached)
    {
        var method = context.Request.Method;
        var isRead = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        if (route.Kind == RouteKind.Blob && HttpMethods.IsGet(method) && IsPlainRead(context.Request))
        {
            // The request that starts a fetch gets the bytes as they arrive; it stays until the fetch ends even if its
            // client leaves, so nothing writes to a response that has been handed back to the server.
            var firstClient = new FirstClientBlobResponse(context);
            var failed = await _cache!.PrepareBlobAsync(cached, route.Reference, firstClient, CancellationToken.None);
            if (firstClient.Started)
            {
                if (failed is not null) firstClient.Abort();
                return;
            }
            if (failed is not null) await ErrorResponse.WriteAsync(context, failed);
            else await Dispatch(context, route, method);
            return;
        }
        var refusal = (route.Kind, isRead) switch
        {
            (RouteKind.Manifest, true) => await _cache!.PrepareManifestAsync(cached, route.Reference, context.RequestAborted),
            (RouteKind.Blob, true) => await _cache!.PrepareBlobAsync(cached, route.Reference, null, context.RequestAborted),
            (RouteKind.Manifest or RouteKind.Blob or RouteKind.UploadStart or RouteKind.Upload, false) => PullThroughCache.WriteRefused(cached),
            _ => null,
        };
        if (refusal is not null) await ErrorResponse.WriteAsync(context, refusal);
        else await Dispatch(context, route, method);
    }

    /// <summary>A read with no range and no precondition: the only kind a whole 200 answers, whatever the state.</summary>
    private static bool IsPlainRead(HttpRequest request) =>
        request.Headers.Range.Count == 0 && request.Headers.IfMatch.Count == 0 && request.Headers.IfNoneMatch.Count == 0
        && request.Headers.IfModifiedSince.Count == 0 && request.Headers.IfUnmodifiedSince.Count == 0 && request.Headers.IfRange.Count == 0;

    private static IEnumerable<KeyValuePair<string, string?>> QueryParameters(IQueryCollection query) =>
        query.SelectMany(p => p.Value.Count == 0
            ? [new KeyValuePair<string, string?>(p.Key, null)]
            : p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v)));

    private static Task MethodNotAllowedAsync(HttpContext context, RouteKind kind)
    {
        context.Response.Headers.Allow = kind switch
        {
            RouteKind.Manifest => "GET, HEAD, PUT, DELETE",
            RouteKind.Blob => "GET, HEAD, DELETE",
            RouteKind.UploadStart => "POST",
            RouteKind.Upload => "GET, HEAD, PATCH, PUT, DELETE",
            _ => "GET, HEAD",
        };
        return ErrorResponse.WriteAsync(context, RegistryError.Unsupported($"method {context.Request.Method} is not allowed here", 405));
    }

    private static Task WriteJsonAsync(HttpContext context, int status, byte[] body, string contentType = "application/json")
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>
    /// Ends a read with 304 or 412 when its preconditions say so (RFC 9110 §13.2.2). Called after the
    /// validators are set, because a 304 must carry the ETag, digest and Cache-Control a 200 would (§15.4.5).
    /// </summary>
    private static bool EndsWithPreconditionOutcome(HttpResponse response, PreconditionOutcome outcome)
    {
        response.StatusCode = outcome switch
        {
            PreconditionOutcome.NotModified => StatusCodes.Status304NotModified,
            PreconditionOutcome.Failed => StatusCodes.Status412PreconditionFailed,
            _ => response.StatusCode,
        };
        return outcome != PreconditionOutcome.Proceed;
    }

    private static string? Actor(HttpContext context) =>
        context.User.Identity?.Name ?? context.Connection.RemoteIpAddress?.ToString();
}
