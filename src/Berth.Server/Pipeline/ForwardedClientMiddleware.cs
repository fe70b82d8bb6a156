using Berth.Server.Limits;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Pipeline;

/// <summary>
/// Behind trusted proxies, replaces the connection's remote address with the client's, so the rate limiter,
/// the request log and the actor of anonymous tag moves all see the same client. Only installed when
/// trusted proxies are configured.
/// </summary>
public sealed class ForwardedClientMiddleware(RequestDelegate next, ClientAddressResolver resolver)
{
    public const string ForwardedForHeader = "X-Forwarded-For";

    public Task InvokeAsync(HttpContext context)
    {
        var connection = context.Connection;
        var forwarded = context.Request.Headers[ForwardedForHeader];
        if (forwarded.Count > 0)
        {
            connection.RemoteIpAddress = resolver.Resolve(connection.RemoteIpAddress, forwarded.Where(v => v is not null).ToList()!);
        }
        return next(context);
    }
}
