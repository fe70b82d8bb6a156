using Berth.Oci.Protocol;
using Berth.Server.Responses;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Pipeline;

/// <summary>
/// Headers every /v2/ response carries, whatever its status (including 401 from authentication and
/// errors): the API version, and, when enabled, the conditional-request support signal.
/// </summary>
internal sealed class ProtocolHeadersMiddleware(RequestDelegate next, bool announceConditionalRequests)
{
    public Task InvokeAsync(HttpContext context)
    {
        // Added as the response starts, so an error response built after Response.Clear() has them too.
        context.Response.OnStarting(static state =>
        {
            var (response, announce) = ((HttpResponse, bool))state;
            response.Headers[RegistryHeaders.ApiVersion] = RegistryHeaders.ApiVersionValue;
            if (announce) response.Headers[RegistryHeaders.ConditionalSupport] = RegistryHeaders.ConditionalSupportValue;
            return Task.CompletedTask;
        }, (context.Response, announceConditionalRequests));
        return next(context);
    }
}
