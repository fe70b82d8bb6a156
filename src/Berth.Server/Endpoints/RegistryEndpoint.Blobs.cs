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
    private Task GetBlobAsync(HttpContext context, Oci.Api.RegistryPath route)
    {
        var result = _registry.Blobs.Read(route.Name, route.Reference, ConditionalRequestHeaders.ForRead(context.Request));
        if (!result.IsSuccess) return ErrorResponse.WriteAsync(context, result.Error);
        var read = result.Value;
        var response = context.Response;
        var headers = response.Headers;
        headers[RegistryHeaders.ContentDigest] = read.Digest.ToString();
        headers.ETag = read.EntityTag.ToString();
        headers.CacheControl = CacheControlValues.Immutable;
        headers.AcceptRanges = "bytes";

        if (EndsWithPreconditionOutcome(context.Response, read.Outcome)) return Task.CompletedTask;

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
                return Task.CompletedTask;
            case RangeRequestKind.Partial:
                response.StatusCode = StatusCodes.Status206PartialContent;
                headers.ContentRange = $"bytes {range.First}-{range.Last}/{length}";
                response.ContentLength = range.Length;
                return HttpMethods.IsHead(context.Request.Method)
                    ? Task.CompletedTask
                    : FileBody.SendAsync(response, read.Blob.Path, range.First, range.Length, context.RequestAborted);
            default:
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentLength = length;
                return HttpMethods.IsHead(context.Request.Method) || length == 0
                    ? Task.CompletedTask
                    : FileBody.SendAsync(response, read.Blob.Path, 0, length, context.RequestAborted);
        }
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
