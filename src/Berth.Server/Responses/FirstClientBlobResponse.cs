using Berth.Cache;
using Berth.Oci.Digests;
using Berth.Oci.Preconditions;
using Berth.Oci.Protocol;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Responses;

/// <summary>
/// The response of a plain GET that made the pull-through cache fetch a blob: a 200 with the headers any blob
/// GET gets, then the bytes as they arrive from upstream.
/// </summary>
internal sealed class FirstClientBlobResponse(HttpContext context) : IFirstClientSink
{
    public bool Started { get; private set; }

    public Task StartAsync(Digest digest, long length)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.Headers[RegistryHeaders.ContentDigest] = digest.ToString();
        response.Headers.ETag = EntityTag.ForDigest(digest).ToString();
        response.Headers.CacheControl = CacheControlValues.Immutable;
        response.Headers.AcceptRanges = "bytes";
        response.ContentType = "application/octet-stream";
        response.ContentLength = length;
        Started = true;
        return response.StartAsync();
    }

    public Task WriteAsync(ReadOnlyMemory<byte> bytes) => context.Response.Body.WriteAsync(bytes).AsTask();

    public void Abort() => context.Abort();
}
