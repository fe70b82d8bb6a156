using Berth.Oci.Errors;
using Berth.Oci.Preconditions;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Berth.Server.Pipeline;

/// <summary>
/// Reads the raw conditional header lines. The typed RequestHeaders accessors are avoided on purpose:
/// their lenient parsing can drop a malformed value, turning a conditional write into an unconditional one.
/// </summary>
internal static class ConditionalRequestHeaders
{
    public static RequestPreconditions ForRead(HttpRequest request) =>
        RequestPreconditions.ForRead(
            request.Headers[HeaderNames.IfMatch].ToArray(),
            request.Headers[HeaderNames.IfNoneMatch].ToArray(),
            Single(request, HeaderNames.IfModifiedSince),
            Single(request, HeaderNames.IfUnmodifiedSince));

    public static RequestPreconditions? ForWrite(HttpRequest request, out RegistryError? error) =>
        RequestPreconditions.ForWrite(
            request.Headers[HeaderNames.IfMatch].ToArray(),
            request.Headers[HeaderNames.IfNoneMatch].ToArray(),
            Single(request, HeaderNames.IfUnmodifiedSince),
            out error);

    private static string? Single(HttpRequest request, string name)
    {
        var values = request.Headers[name];
        return values.Count == 0 ? null : values.ToString();
    }
}
