using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Oci.Errors;
using Berth.Oci.Protocol;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Responses;

/// <summary>
/// Writes a <see cref="RegistryError"/>: the spec's JSON error body when there is a spec code,
/// plain prose otherwise (412/428, whose codes the spec's closed list does not have).
/// </summary>
internal static partial class ErrorResponse
{
    public static Task WriteAsync(HttpContext context, RegistryError error)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        // Refusals are decided before the body is read; see RequestBodyLimits.
        if (error.Status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden or StatusCodes.Status429TooManyRequests)
        {
            Pipeline.RequestBodyLimits.CloseConnectionIfBodyUnread(context);
        }
        WriteHints(response, error);
        byte[] body;
        if (error.Code is { } code)
        {
            response.ContentType = "application/json";
            body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody([new ErrorEntry(ErrorCodeText.Of(code), error.Message, error.Detail)]), ErrorJson.Default.ErrorBody);
        }
        else
        {
            response.ContentType = "text/plain; charset=utf-8";
            body = System.Text.Encoding.UTF8.GetBytes(error.Message + "\n");
        }
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>The error's recovery hints as the headers the protocol defines for them.</summary>
    private static void WriteHints(HttpResponse response, RegistryError error)
    {
        if (error.CurrentEntityTag is { } entityTag) response.Headers[RegistryHeaders.ETag] = entityTag;
        if (error.CommittedLength is { } committed) response.Headers[RegistryHeaders.Range] = RegistryHeaders.UploadRange(committed);
        if (error.RetryAfter is { } after)
        {
            // delay-seconds (RFC 9110 §10.2.3): whole seconds, at least one, so a client never retries at once.
            var seconds = Math.Max(1, (long)Math.Ceiling(after.TotalSeconds));
            response.Headers[RegistryHeaders.RetryAfter] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (error.Challenge is { } challenge) response.Headers[RegistryHeaders.WwwAuthenticate] = challenge.ToString();
    }

    private sealed record ErrorBody([property: JsonPropertyName("errors")] IReadOnlyList<ErrorEntry> Errors);

    private sealed record ErrorEntry(
        [property: JsonPropertyName("code")] string Code,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("detail")] object? Detail);

    // The detail is an object; its runtime types (RegistryError's) are listed so the generated code can write them.
    [JsonSerializable(typeof(ErrorBody))]
    [JsonSerializable(typeof(Dictionary<string, string>))]
    private sealed partial class ErrorJson : JsonSerializerContext;
}
