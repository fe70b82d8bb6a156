using Berth.Oci.Protocol;
using Berth.Registry.Operations;
using Berth.Server.Responses;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Berth.Server.Endpoints;

/// <summary>end-4 (start, monolithic, mount), end-5/6 (chunks, close), end-13 (status), end-14 (cancel).</summary>
internal sealed partial class RegistryEndpoint
{
    private async Task StartUploadAsync(HttpContext context, Oci.Api.RegistryPath route)
    {
        var query = context.Request.Query;
        if (query.TryGetValue("mount", out var mount))
        {
            // A mount from a source the caller may not read, or that lacks the blob, becomes an ordinary
            // upload session (end-11): the two cases look the same, so the answer reveals nothing.
            if (MountSourceDecision.Decide(route.Name, query["from"], MountPermissionOf(context)) is { } source)
            {
                var mounted = await _registry.Uploads.MountAsync(route.Name, mount.ToString(), source);
                if (!mounted.IsSuccess)
                {
                    await ErrorResponse.WriteAsync(context, mounted.Error);
                    return;
                }
                if (mounted.Value is { } digest)
                {
                    WriteBlobCreated(context, route.Name, digest.ToString());
                    return;
                }
            }
        }
        else if (query.TryGetValue("digest", out var digestValue))
        {
            var pushed = await _registry.Uploads.PushMonolithicAsync(route.Name, digestValue.ToString(), context.Request.Body,
                context.Request.ContentLength, context.RequestAborted);
            if (!pushed.IsSuccess) await ErrorResponse.WriteAsync(context, pushed.Error);
            else WriteBlobCreated(context, route.Name, pushed.Value.ToString());
            return;
        }

        var started = await _registry.Uploads.StartAsync(route.Name, query.TryGetValue("digest-algorithm", out var algorithm) ? algorithm.ToString() : null);
        if (!started.IsSuccess)
        {
            await ErrorResponse.WriteAsync(context, started.Error);
            return;
        }
        WriteUploadProgress(context, started.Value, StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// The caller's right to mount from a repository. Under access control it comes from the access-control
    /// middleware; if that feature were ever missing, no repository is allowed rather than every one.
    /// </summary>
    private Func<string, bool>? MountPermissionOf(HttpContext context) =>
        _accessControlled ? context.Features.Get<Auth.MountPermission>()?.MayMountFrom ?? (_ => false) : null;

    private async Task AppendChunkAsync(HttpContext context, Oci.Api.RegistryPath route)
    {
        var request = context.Request;
        var result = await _registry.Uploads.AppendAsync(route.Name, route.Reference, request.Body,
            request.Headers[HeaderNames.ContentRange].ToString(), request.ContentLength, context.RequestAborted);
        if (!result.IsSuccess) await ErrorResponse.WriteAsync(context, result.Error);
        else WriteUploadProgress(context, result.Value, StatusCodes.Status202Accepted);
    }

    private async Task CompleteUploadAsync(HttpContext context, Oci.Api.RegistryPath route)
    {
        var request = context.Request;
        var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
        var result = await _registry.Uploads.CompleteAsync(route.Name, route.Reference,
            request.Query.TryGetValue("digest", out var digest) ? digest.ToString() : null,
            hasBody ? request.Body : null, request.Headers[HeaderNames.ContentRange].ToString(), request.ContentLength,
            context.RequestAborted);
        if (!result.IsSuccess) await ErrorResponse.WriteAsync(context, result.Error);
        else WriteBlobCreated(context, route.Name, result.Value.ToString());
    }

    private async Task UploadStatusAsync(HttpContext context, Oci.Api.RegistryPath route)
    {
        var result = await _registry.Uploads.StatusAsync(route.Name, route.Reference, context.RequestAborted);
        if (!result.IsSuccess) await ErrorResponse.WriteAsync(context, result.Error);
        else WriteUploadProgress(context, result.Value, StatusCodes.Status204NoContent);
    }

    private async Task CancelUploadAsync(HttpContext context, Oci.Api.RegistryPath route)
    {
        var result = await _registry.Uploads.CancelAsync(route.Name, route.Reference);
        if (!result.IsSuccess) await ErrorResponse.WriteAsync(context, result.Error);
        else context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static void WriteBlobCreated(HttpContext context, string name, string digest)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status201Created;
        response.Headers.Location = $"/v2/{name}/blobs/{digest}";
        response.Headers[RegistryHeaders.ContentDigest] = digest;
        response.ContentLength = 0;
    }

    /// <summary>
    /// 202/204 for a session: Location to follow as given, and Range "0-&lt;last byte&gt;" (distribution-spec
    /// end-5/end-13; "0-0" when nothing has arrived, as CNCF Distribution does).
    /// </summary>
    private static void WriteUploadProgress(HttpContext context, UploadProgress progress, int status)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.Headers.Location = $"/v2/{progress.Session.Repository}/blobs/uploads/{progress.Session.Id}";
        response.Headers[RegistryHeaders.Range] = RegistryHeaders.UploadRange(progress.Length);
        response.Headers[RegistryHeaders.UploadUuid] = progress.Session.Id;
        if (status != StatusCodes.Status204NoContent) response.ContentLength = 0;
    }
}
