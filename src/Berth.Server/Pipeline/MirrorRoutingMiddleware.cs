using Berth.Cache;
using Berth.Oci.Api;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Pipeline;

/// <summary>
/// Mirror mode of the pull-through cache: a pull of a plain name (containerd's <c>?ns=docker.io</c>, or docker's
/// registry-mirrors) is served under the local name of the upstream that mirrors it, e.g. library/busybox as
/// dockerhub/library/busybox. Only reads are mapped; writes to plain names stay ordinary pushes.
/// </summary>
internal sealed class MirrorRoutingMiddleware(RequestDelegate next, PullThroughCache cache)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
        {
            var parsed = RegistryRoute.Of(context);
            if (parsed is { NameIsValid: true, Path: { Kind: RouteKind.Manifest or RouteKind.Blob or RouteKind.TagsList } route }
                && cache.MirroredName(route.Name, context.Request.Query["ns"].ToString()) is { } local)
            {
                RegistryRoute.Replace(context, route with { Name = local });
            }
        }
        return next(context);
    }
}
