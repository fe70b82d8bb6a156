using System.Globalization;
using Berth.Oci.Errors;
using Berth.Server.Responses;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Limits;

/// <summary>
/// Answers requests over the limit with 429 TOOMANYREQUESTS (distribution-spec code-14, RFC 6585 §4) and
/// Retry-After in whole seconds. It runs before authentication, so password guessing is limited too.
/// </summary>
public sealed class RateLimitMiddleware(RequestDelegate next, RequestRateLimiter limiter)
{
    public Task InvokeAsync(HttpContext context)
    {
        var client = ClientAddressResolver.RateLimitKey(context.Connection.RemoteIpAddress);
        if (limiter.TryAcquire(client, out var retryAfter)) return next(context);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        return ErrorResponse.WriteAsync(context, new RegistryError(StatusCodes.Status429TooManyRequests, ErrorCode.TooManyRequests,
            "too many requests; retry later")
        {
            Headers = new Dictionary<string, string> { ["Retry-After"] = seconds.ToString(CultureInfo.InvariantCulture) },
        });
    }
}
