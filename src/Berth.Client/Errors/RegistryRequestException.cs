using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Client.Errors;

/// <summary>One entry of the spec's error body (distribution-spec "Error Codes").</summary>
public sealed record RegistryErrorEntry(
    [property: JsonPropertyName("code")] string Code,
    [property: JsonPropertyName("message")] string? Message);

/// <summary>A registry answered with a status the operation did not expect.</summary>
public partial class RegistryRequestException : Exception
{
    public RegistryRequestException(HttpStatusCode status, string method, Uri? uri, IReadOnlyList<RegistryErrorEntry> errors, string? body)
        : base(Describe(status, method, uri, errors, body))
    {
        StatusCode = status;
        Method = method;
        RequestUri = uri;
        Errors = errors;
    }

    public HttpStatusCode StatusCode { get; }

    public string Method { get; }

    public Uri? RequestUri { get; }

    /// <summary>The spec error codes from the body, if it had any.</summary>
    public IReadOnlyList<RegistryErrorEntry> Errors { get; }

    public bool IsNotFound => StatusCode == HttpStatusCode.NotFound;

    public bool HasCode(string code) => Errors.Any(e => e.Code == code);

    private static string Describe(HttpStatusCode status, string method, Uri? uri, IReadOnlyList<RegistryErrorEntry> errors, string? body)
    {
        var detail = errors.Count > 0
            ? string.Join("; ", errors.Select(e => e.Message is null ? e.Code : $"{e.Code}: {e.Message}"))
            : string.IsNullOrWhiteSpace(body) ? status.ToString() : body.Trim();
        if (detail.Length > 500) detail = detail[..500] + "…";
        return $"{method} {uri?.AbsolutePath} failed with {(int)status}: {detail}";
    }

    /// <summary>Reads the error body, which the spec makes JSON but registries and proxies may not.</summary>
    internal static async Task<RegistryRequestException> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = response.RequestMessage?.Method == HttpMethod.Head ? null
            : await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var errors = ParseErrors(body);
        var method = response.RequestMessage?.Method.Method ?? "?";
        var uri = response.RequestMessage?.RequestUri;
        return response.StatusCode switch
        {
            HttpStatusCode.PreconditionFailed => new PreconditionFailedException(method, uri, body,
                response.Headers.ETag?.ToString()),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new RegistryAuthenticationException(response.StatusCode, method, uri, errors, body),
            _ => new RegistryRequestException(response.StatusCode, method, uri, errors, body),
        };
    }

    private static IReadOnlyList<RegistryErrorEntry> ParseErrors(string? body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{') return [];
        try
        {
            var parsed = JsonSerializer.Deserialize(body, ErrorJson.Default.ErrorBody);
            return parsed?.Errors?.Where(e => e.Code is not null).ToList() ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private sealed record ErrorBody([property: JsonPropertyName("errors")] List<RegistryErrorEntry>? Errors);

    [JsonSerializable(typeof(ErrorBody))]
    private sealed partial class ErrorJson : JsonSerializerContext;
}

/// <summary>401 or 403 after the credentials we had (or none) were tried.</summary>
public sealed class RegistryAuthenticationException(HttpStatusCode status, string method, Uri? uri, IReadOnlyList<RegistryErrorEntry> errors, string? body)
    : RegistryRequestException(status, method, uri, errors, body);

/// <summary>
/// 412 (RFC 9110 §15.5.13): a conditional write's precondition did not hold — someone else changed the
/// tag since it was read, or a create-only tag already exists.
/// </summary>
public sealed class PreconditionFailedException(string method, Uri? uri, string? body, string? currentEntityTag)
    : RegistryRequestException(HttpStatusCode.PreconditionFailed, method, uri, [], body)
{
    /// <summary>The registry's hint of the current ETag; clients must not rely on it (conditional-requests §5.2).</summary>
    public string? CurrentEntityTag { get; } = currentEntityTag;
}
