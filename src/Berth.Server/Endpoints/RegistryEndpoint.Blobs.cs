using System.IO.Pipelines;
using Berth.Oci.Protocol;
using Berth.Oci.Preconditions;
using Berth.Oci.Ranges;
using Berth.Server.Pipeline;
using Berth.Server.Responses;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Berth.Server.Endpoints;

/// <summary>end-2 (pull, with RFC 9110 §14 ranges and §13 preconditions) and end-10 (delete) for blobs.</summary>
internal sealed partial class RegistryEndpoint
{
    private async Task GetBlobAsync(HttpContext context, Oci.Api.RegistryPath route)
    {
        var result = await _registry.Blobs.ReadAsync(route.Name, route.Reference, ConditionalRequestHeaders.ForRead(context.Request), context.RequestAborted);
        if (!result.IsSuccess)
        {
            await ErrorResponse.WriteAsync(context, result.Error);
            return;
        }
        var read = result.Value;
        var response = context.Response;
        var headers = response.Headers;
        headers[RegistryHeaders.ContentDigest] = read.Digest.ToString();
        headers.ETag = read.EntityTag.ToString();
        headers.CacheControl = CacheControlValues.Immutable;
        headers.AcceptRanges = "bytes";

        if (EndsWithPreconditionOutcome(context.Response, read.Outcome)) return;

        // Storage redirect (as CNCF Distribution's): the client fetches the bytes, ranges included, from the
        // object store's presigned URL. HEAD is still answered here, it costs the store nothing.
        if (HttpMethods.IsGet(context.Request.Method) && await _registry.Blobs.RedirectUrlAsync(read, context.RequestAborted) is { } redirect)
        {
            response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            headers.Location = redirect.AbsoluteUri;
            headers.CacheControl = "no-store";
            response.ContentLength = 0;
            _notifications?.Pulled(route.Name, read.Digest, null, read.Blob.Length, null, Actor(context));
            return;
        }

        var length = read.Blob.Length;
        var rangeHeader = context.Request.Headers[HeaderNames.Range].ToString();
        var kind = RangeRequest.Resolve(rangeHeader, length, out var range);
        // §13.1.5: a stale If-Range turns the range request into a plain one.
        if (kind != RangeRequestKind.Full
            && !PreconditionEvaluator.IfRangeAllowsPartial(context.Request.Headers[HeaderNames.IfRange].ToString(), read.EntityTag, read.Blob.StoredAt))
        {
            kind = RangeRequestKind.Full;
        }
        response.ContentType = "application/octet-stream";
        switch (kind)
        {
            case RangeRequestKind.Unsatisfiable:
                response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                headers.ContentRange = $"bytes */{length}";
                response.ContentLength = 0;
                return;
            case RangeRequestKind.Partial:
                response.StatusCode = StatusCodes.Status206PartialContent;
                headers.ContentRange = $"bytes {range.First}-{range.Last}/{length}";
                response.ContentLength = range.Length;
                if (!HttpMethods.IsHead(context.Request.Method)) await SendBlobAsync(response, read, range.First, range.Length, context.RequestAborted);
                return;
            default:
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentLength = length;
                if (HttpMethods.IsHead(context.Request.Method)) return;
                // A whole-blob read is a pull; a range is part of one (a resumed or parallel download).
                _notifications?.Pulled(route.Name, read.Digest, null, length, null, Actor(context));
                if (length > 0) await SendBlobAsync(response, read, 0, length, context.RequestAborted);
                return;
        }
    }

    /// <summary>A local file goes out through <see cref="FileBody"/>; a networked store's stream is copied.</summary>
    private async Task SendBlobAsync(HttpResponse response, Registry.Operations.BlobRead read, long offset, long length, CancellationToken cancellationToken)
    {
        if (read.Blob.LocalPath is { } path)
        {
            await FileBody.SendAsync(response, path, offset, length, cancellationToken);
            return;
        }
        await using var body = await _registry.Blobs.OpenAsync(read, offset, length, cancellationToken);
        await body.CopyToAsync(response.BodyWriter, cancellationToken);
    }

    private async Task DeleteBlobAsync(HttpContext context, Oci.Api.RegistryPath route)
    {
        var conditions = ConditionalRequestHeaders.ForWrite(context.Request, out var headerError);
        if (conditions is null)
        {
            await ErrorResponse.WriteAsync(context, headerError!);
            return;
        }
        var result = await _registry.Blobs.DeleteAsync(route.Name, route.Reference, conditions);
        if (!result.IsSuccess)
        {
            await ErrorResponse.WriteAsync(context, result.Error);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }
}
