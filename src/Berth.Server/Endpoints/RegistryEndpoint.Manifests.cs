using Berth.Oci.Protocol;
using Berth.Oci.Preconditions;
using Berth.Registry.Operations;
using Berth.Server.Pipeline;
using Berth.Server.Responses;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Berth.Server.Endpoints;

/// <summary>end-3 (pull), end-7 (push), end-9 (delete) for manifests.</summary>
internal sealed partial class RegistryEndpoint
{
    private Task GetManifestAsync(HttpContext context, Oci.Api.RegistryPath route)
    {
        var result = _registry.Manifests.Read(route.Name, route.Reference, ConditionalRequestHeaders.ForRead(context.Request));
        if (!result.IsSuccess) return ErrorResponse.WriteAsync(context, result.Error);
        var read = result.Value;
        var response = context.Response;
        var headers = response.Headers;
        headers[RegistryHeaders.ContentDigest] = read.Manifest.Digest.ToString();
        headers.ETag = read.EntityTag.ToString();
        headers.CacheControl = read.ByTag ? CacheControlValues.Revalidate : CacheControlValues.Immutable;
        if (read.LastModified is { } lastModified) headers.LastModified = HttpDate.Format(lastModified);

        if (EndsWithPreconditionOutcome(context.Response, read.Outcome)) return Task.CompletedTask;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = read.Manifest.MediaType;
        response.ContentLength = read.Manifest.Content.Length;
        if (HttpMethods.IsHead(context.Request.Method)) return Task.CompletedTask;
        _notifications?.Pulled(route.Name, read.Manifest.Digest, read.Manifest.MediaType, read.Manifest.Content.Length,
            read.ByTag ? route.Reference : null, Actor(context));
        return response.Body.WriteAsync(read.Manifest.Content).AsTask();
    }

    private async Task PutManifestAsync(HttpContext context, Oci.Api.RegistryPath route)
    {
        var request = context.Request;
        var conditions = ConditionalRequestHeaders.ForWrite(request, out var headerError);
        if (conditions is null)
        {
            await ErrorResponse.WriteAsync(context, headerError!);
            return;
        }
        var result = await _registry.Manifests.PutAsync(new ManifestPut
        {
            Name = route.Name,
            Reference = route.Reference,
            ContentType = request.ContentType,
            Body = request.Body,
            ContentLength = request.ContentLength,
            QueryTags = request.Query["tag"].Where(t => t is not null).ToList()!,
            Preconditions = conditions,
            Actor = Actor(context),
        }, context.RequestAborted);
        if (!result.IsSuccess)
        {
            await ErrorResponse.WriteAsync(context, result.Error);
            return;
        }
        var written = result.Value;
        var response = context.Response;
        response.StatusCode = StatusCodes.Status201Created;
        response.Headers.Location = $"/v2/{route.Name}/manifests/{written.Digest}";
        response.Headers[RegistryHeaders.ContentDigest] = written.Digest.ToString();
        // RFC 9110 §9.3.4 allows an ETag on PUT because the bytes are stored untransformed.
        response.Headers.ETag = EntityTag.ForDigest(written.Digest).ToString();
        if (written.Subject is { } subject) response.Headers[RegistryHeaders.Subject] = subject.ToString();
        if (request.Query.ContainsKey("tag")) response.Headers[RegistryHeaders.Tag] = new StringValues([.. written.Tags]);
        response.ContentLength = 0;
    }

    private async Task DeleteManifestAsync(HttpContext context, Oci.Api.RegistryPath route)
    {
        var conditions = ConditionalRequestHeaders.ForWrite(context.Request, out var headerError);
        if (conditions is null)
        {
            await ErrorResponse.WriteAsync(context, headerError!);
            return;
        }
        var result = await _registry.Manifests.DeleteAsync(route.Name, route.Reference, conditions, Actor(context));
        if (!result.IsSuccess)
        {
            await ErrorResponse.WriteAsync(context, result.Error);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }
}
