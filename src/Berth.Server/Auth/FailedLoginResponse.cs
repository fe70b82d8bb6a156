using System.Globalization;
using Berth.Oci.Errors;
using Berth.Server.Responses;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Auth;

/// <summary>
/// The answer to a password check the failed-login limiter refused: 429 TOOMANYREQUESTS (distribution-spec
/// code-14, RFC 6585 §4) with Retry-After in whole seconds (RFC 9110 §10.2.3). The token endpoint answers
/// the same way; Docker clients read the "errors" body of a failed token request too.
/// </summary>
public static class FailedLoginResponse
{
    /// <summary>
    /// The client as the limiter counts it: the same key as the request rate limiter, so an IPv6 client
    /// cannot escape by rotating addresses within its /64, and behind trusted proxies the forwarded client.
    /// </summary>
    public static string ClientOf(HttpContext context) => Limits.ClientAddressResolver.RateLimitKey(context.Connection.RemoteIpAddress);

    public static Task WriteAsync(HttpContext context, TimeSpan retryAfter)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.Headers.CacheControl = "no-store";
        return ErrorResponse.WriteAsync(context, new RegistryError(StatusCodes.Status429TooManyRequests, ErrorCode.TooManyRequests,
            "too many failed logins; retry later")
        {
            RetryAfter = TimeSpan.FromSeconds(seconds),
        });
    }
}
