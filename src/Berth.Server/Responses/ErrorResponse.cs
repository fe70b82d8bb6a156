using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Oci.Errors;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Responses;

/// <summary>
/// Writes a <see cref="RegistryError"/>: the spec's JSON error body when there is a spec code,
/// plain prose otherwise (412/428, whose codes the spec's closed list does not have).
/// </summary>
public static class ErrorResponse
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
        if (error.Headers is not null)
        {
            foreach (var (name, value) in error.Headers) response.Headers[name] = value;
        }
        byte[] body;
        if (error.Code is { } code)
        {
            response.ContentType = "application/json";
            body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody([new ErrorEntry(ErrorCodeText.Of(code), error.Message, error.Detail)]));
        }
        else
        {
            response.ContentType = "text/plain; charset=utf-8";
            body = System.Text.Encoding.UTF8.GetBytes(error.Message + "\n");
        }
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(body).AsTask();
    }

    private sealed record ErrorBody([property: JsonPropertyName("errors")] IReadOnlyList<ErrorEntry> Errors);

    private sealed record ErrorEntry(
        [property: JsonPropertyName("code")] string Code,
        [property: JsonPropertyName("message")] string Message,
        [property: JsonPropertyName("detail")] object? Detail);
}
