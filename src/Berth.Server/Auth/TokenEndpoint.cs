using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Auth;
using Berth.Oci.Auth;
using Berth.Auth.TokenRequests;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Berth.Server.Auth;

/// <summary>
/// The built-in token service at /auth/token: the Docker token spec's GET (HTTP Basic or anonymous, scope
/// and service in the query, offline_token=true for a refresh token) and the OAuth2 POST form that docker
/// login uses (grant_type=password or refresh_token, access_type=offline). The rules are in
/// <see cref="TokenService"/>; this class only reads the request and writes the response.
/// </summary>
internal sealed partial class TokenEndpoint(BerthAuth auth)
{
    public const string Path = "/auth/token";

    /// <summary>A token request is a handful of short fields; anything bigger is not one.</summary>
    private static readonly FormOptions SmallForm = new() { ValueCountLimit = 64, KeyLengthLimit = 64, ValueLengthLimit = 32 * 1024 };

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Path.HasValue && request.Path.Value is not ("" or "/"))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        TokenRequest? tokenRequest;
        if (HttpMethods.IsGet(request.Method)) tokenRequest = FromQuery(request);
        else if (HttpMethods.IsPost(request.Method)) tokenRequest = await FromFormAsync(context);
        else
        {
            context.Response.Headers.Allow = "GET, POST";
            await WriteErrorAsync(context, new TokenOutcome(null, StatusCodes.Status405MethodNotAllowed, "invalid_request", "use GET or POST"));
            return;
        }
        if (tokenRequest is null)
        {
            await WriteErrorAsync(context, TokenOutcome.Failure(StatusCodes.Status400BadRequest, "invalid_request",
                "malformed credentials or form (POST needs application/x-www-form-urlencoded)"));
            return;
        }

        var outcome = auth.Tokens.Issue(tokenRequest with { Client = FailedLoginResponse.ClientOf(context) });
        if (outcome.Status == StatusCodes.Status429TooManyRequests)
        {
            await FailedLoginResponse.WriteAsync(context, outcome.RetryAfter);
            return;
        }
        if (outcome.Grant is not { } grant)
        {
            await WriteErrorAsync(context, outcome);
            return;
        }
        var body = new TokenBody(grant.AccessToken, grant.AccessToken, (long)grant.ExpiresIn.TotalSeconds,
            grant.IssuedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            grant.RefreshToken, string.Join(' ', grant.Granted.Select(s => s.ToString())));
        await WriteJsonAsync(context, StatusCodes.Status200OK, JsonSerializer.SerializeToUtf8Bytes(body, TokenJson.Default.TokenBody));
    }

    private static TokenRequest? FromQuery(HttpRequest request)
    {
        var query = request.Query;
        var header = AuthorizationHeader.Parse(request.Headers.Authorization);
        if (header.Scheme is AuthorizationScheme.Invalid or AuthorizationScheme.Bearer) return null;
        return new TokenRequest
        {
            Grant = GrantType.BasicOrAnonymous,
            Username = header.Scheme == AuthorizationScheme.Basic ? header.User : null,
            Password = header.Scheme == AuthorizationScheme.Basic ? header.Password : null,
            Service = query["service"].ToString(),
            Scopes = AccessScope.ParseList(query["scope"]),
            Offline = string.Equals(query["offline_token"].ToString(), "true", StringComparison.OrdinalIgnoreCase),
        };
    }

    private static async Task<TokenRequest?> FromFormAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.HasFormContentType || request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) != true)
        {
            return null;
        }
        context.Features.Set<IFormFeature>(new FormFeature(request, SmallForm));
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(context.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return null;
        }
        var grant = form["grant_type"].ToString() switch
        {
            "password" => GrantType.Password,
            "refresh_token" => GrantType.RefreshToken,
            _ => GrantType.Unsupported,
        };
        return new TokenRequest
        {
            Grant = grant,
            Username = NullIfEmpty(form["username"]),
            Password = form.ContainsKey("password") ? form["password"].ToString() : null,
            RefreshToken = NullIfEmpty(form["refresh_token"]),
            Service = form["service"].ToString(),
            Scopes = AccessScope.ParseList(form["scope"]),
            Offline = string.Equals(form["access_type"].ToString(), "offline", StringComparison.Ordinal),
        };
    }

    private static string? NullIfEmpty(Microsoft.Extensions.Primitives.StringValues value) => value.Count == 0 || value.ToString().Length == 0 ? null : value.ToString();

    /// <summary>
    /// RFC 6749 §5.2's error body; "details" repeats the description for Docker clients, which show that member
    /// of a failed token response. A 401 says how to authenticate: HTTP Basic (RFC 7617 §2.1, UTF-8).
    /// </summary>
    private Task WriteErrorAsync(HttpContext context, TokenOutcome outcome)
    {
        if (outcome.Status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{auth.Options.Service.Replace("\"", "", StringComparison.Ordinal)}\", charset=\"UTF-8\"";
        }
        return WriteJsonAsync(context, outcome.Status,
            JsonSerializer.SerializeToUtf8Bytes(new ErrorBody(outcome.Error ?? "invalid_request", outcome.Description ?? "", outcome.Description ?? ""), TokenJson.Default.ErrorBody));
    }

    /// <summary>RFC 6749 §5.1: token responses must not be stored by caches.</summary>
    private static Task WriteJsonAsync(HttpContext context, int status, byte[] body)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }

    /// <summary>
    /// Both names of the token: "token" from the Docker token spec, "access_token" from OAuth2, which clients
    /// of either kind read. "issued_at" is RFC 3339.
    /// </summary>
    private sealed record TokenBody(
        [property: JsonPropertyName("token")] string Token,
        [property: JsonPropertyName("access_token")] string AccessToken,
        [property: JsonPropertyName("expires_in")] long ExpiresIn,
        [property: JsonPropertyName("issued_at")] string IssuedAt,
        [property: JsonPropertyName("refresh_token"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RefreshToken,
        [property: JsonPropertyName("scope")] string Scope);

    private sealed record ErrorBody(
        [property: JsonPropertyName("error")] string Error,
        [property: JsonPropertyName("error_description")] string Description,
        [property: JsonPropertyName("details")] string Details);

    [JsonSerializable(typeof(TokenBody))]
    [JsonSerializable(typeof(ErrorBody))]
    private sealed partial class TokenJson : JsonSerializerContext;
}
