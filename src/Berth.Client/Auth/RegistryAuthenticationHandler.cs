using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Berth.Oci.Auth;

namespace Berth.Client.Auth;

/// <summary>
/// Answers registry challenges the way the Docker token authentication spec describes
/// (distribution docs/spec/auth/token.md): on 401 read <c>WWW-Authenticate</c>; for Basic send the
/// credentials; for Bearer fetch a token from <c>realm?service=…&amp;scope=…</c> (with Basic credentials
/// when we have them), cache it per scope until it expires, and retry. Once the scheme is known,
/// later requests carry the right header up front, so streamed bodies are not sent twice.
/// </summary>
internal sealed partial class RegistryAuthenticationHandler : DelegatingHandler
{
    /// <summary>token.md: "expires_in … if omitted, a default of 60 seconds should be assumed".</summary>
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);

    private readonly string _registry;
    private readonly ICredentialProvider? _credentials;
    private readonly ConcurrentDictionary<string, CachedToken> _tokens = new(StringComparer.Ordinal);
    private volatile AuthenticationChallenge? _challenge;

    public RegistryAuthenticationHandler(string registry, ICredentialProvider? credentials, HttpMessageHandler inner) : base(inner)
    {
        _registry = registry;
        _credentials = credentials;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Options.TryGetValue(RequestScopes.Key, out var scopes);
        scopes ??= [];
        if (_challenge is { } known && request.Headers.Authorization is null)
        {
            request.Headers.Authorization = await AuthorizationForAsync(known, scopes, forceRefresh: false, cancellationToken).ConfigureAwait(false);
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized) return response;
        // A 401 from the host a redirect led to (object storage) is not the registry's challenge: our
        // credentials are not for it, and must not be sent there.
        if (Transfers.RedirectHandler.CameFromAnotherOrigin(response)) return response;

        var challenges = AuthenticationChallenge.Parse(response.Headers.WwwAuthenticate.Select(h => h.ToString()));
        var challenge = challenges.FirstOrDefault(c => c.IsScheme(AuthenticationChallenge.BearerScheme)) ?? challenges.FirstOrDefault(c => c.IsScheme("Basic"));
        if (challenge is null || !CanResend(request)) return response;

        // The challenge's scope names what this very request needs (it may be narrower or wider than
        // our guess, e.g. for a mount); ask for both.
        if (challenge["scope"] is { Length: > 0 } challengeScope)
        {
            scopes = [.. scopes.Union(challengeScope.Split(' ', StringSplitOptions.RemoveEmptyEntries))];
        }
        _challenge = challenge;
        var authorization = await AuthorizationForAsync(challenge, scopes, forceRefresh: true, cancellationToken).ConfigureAwait(false);
        if (authorization is null) return response;

        response.Dispose();
        using var retry = await CloneAsync(request, cancellationToken).ConfigureAwait(false);
        retry.Headers.Authorization = authorization;
        return await base.SendAsync(retry, cancellationToken).ConfigureAwait(false);
    }

    private async Task<AuthenticationHeaderValue?> AuthorizationForAsync(AuthenticationChallenge challenge, string[] scopes,
        bool forceRefresh, CancellationToken cancellationToken)
    {
        if (challenge.IsScheme("Basic"))
        {
            var basic = await CredentialAsync(cancellationToken).ConfigureAwait(false);
            // An identity token is only good at a token service (oauth.md), never as a Basic password.
            return basic is null || basic.IsIdentityToken ? null : BasicHeader(basic);
        }

        var key = string.Join(' ', scopes.Order(StringComparer.Ordinal));
        if (!forceRefresh && _tokens.TryGetValue(key, out var cached) && cached.ExpiresAt > DateTimeOffset.UtcNow)
        {
            return new AuthenticationHeaderValue("Bearer", cached.Token);
        }
        // Credentials are looked up only when a token is fetched: a credential helper is a process to start.
        var credential = await CredentialAsync(cancellationToken).ConfigureAwait(false);
        var token = await FetchTokenAsync(challenge, scopes, credential, cancellationToken).ConfigureAwait(false);
        if (token is null) return null;
        _tokens[key] = token;
        return new AuthenticationHeaderValue("Bearer", token.Token);
    }

    private async Task<RegistryCredential?> CredentialAsync(CancellationToken cancellationToken) =>
        _credentials is null ? null : await _credentials.GetCredentialAsync(_registry, cancellationToken).ConfigureAwait(false);

    private async Task<CachedToken?> FetchTokenAsync(AuthenticationChallenge challenge, string[] scopes, RegistryCredential? credential,
        CancellationToken cancellationToken)
    {
        if (challenge["realm"] is not { Length: > 0 } realm || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri)) return null;
        using var request = credential is { IsIdentityToken: true }
            ? RefreshTokenRequest(realmUri, challenge["service"], scopes, credential.Password)
            : BasicTokenRequest(realmUri, challenge["service"], scopes, credential);
        var requestedAt = DateTimeOffset.UtcNow;
        using var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) return null;
        var body = await response.Content.ReadFromJsonOrNullAsync(TokenJson.Default.TokenResponse, cancellationToken).ConfigureAwait(false);
        // token.md: "token" is the field; OAuth2-style servers send "access_token" instead.
        var token = body?.Token ?? body?.AccessToken;
        if (string.IsNullOrEmpty(token)) return null;
        var lifetime = body!.ExpiresIn is > 0 ? TimeSpan.FromSeconds(body.ExpiresIn.Value) : DefaultTokenLifetime;
        // Renew a little early so a token never expires between being attached and being checked.
        return new CachedToken(token, requestedAt + lifetime - TimeSpan.FromSeconds(Math.Min(10, lifetime.TotalSeconds / 4)));
    }

    /// <summary>token.md "Requesting a Token": GET realm?service=…&amp;scope=…, with Basic credentials when we have them.</summary>
    private static HttpRequestMessage BasicTokenRequest(Uri realm, string? service, string[] scopes, RegistryCredential? credential)
    {
        var query = new StringBuilder();
        if (service is not null) query.Append("service=").Append(Uri.EscapeDataString(service));
        // token.md: several scope parameters may be given, one per resource.
        foreach (var scope in scopes)
        {
            if (query.Length > 0) query.Append('&');
            query.Append("scope=").Append(Uri.EscapeDataString(scope));
        }
        var builder = new UriBuilder(realm);
        builder.Query = string.IsNullOrEmpty(builder.Query) ? query.ToString() : builder.Query.TrimStart('?') + "&" + query;
        var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (credential is not null) request.Headers.Authorization = BasicHeader(credential);
        return request;
    }

    /// <summary>
    /// distribution docs/spec/auth/oauth.md: an identity token is a refresh token, traded at the realm by
    /// POST grant_type=refresh_token with service, client_id and the scopes space-separated in one field.
    /// </summary>
    private static HttpRequestMessage RefreshTokenRequest(Uri realm, string? service, string[] scopes, string refreshToken)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "refresh_token"),
            new("refresh_token", refreshToken),
            new("client_id", ClientId),
        };
        if (service is not null) form.Add(new("service", service));
        if (scopes.Length > 0) form.Add(new("scope", string.Join(' ', scopes)));
        return new HttpRequestMessage(HttpMethod.Post, realm) { Content = new FormUrlEncodedContent(form) };
    }

    /// <summary>oauth.md: "client_id: (REQUIRED) String identifying the client."</summary>
    private const string ClientId = "berth";

    private static AuthenticationHeaderValue BasicHeader(RegistryCredential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")));

    /// <summary>Only bodies that can be read again may be resent after a 401.</summary>
    private static bool CanResend(HttpRequestMessage request) =>
        request.Content is null or ByteArrayContent or ReadOnlyMemoryContent;

    private static async Task<HttpRequestMessage> CloneAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var clone = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version };
        foreach (var header in request.Headers)
        {
            if (header.Key != "Authorization") clone.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        foreach (var option in request.Options) ((IDictionary<string, object?>)clone.Options)[option.Key] = option.Value;
        if (request.Content is not null)
        {
            var bytes = await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            clone.Content = new ByteArrayContent(bytes);
            foreach (var header in request.Content.Headers) clone.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        return clone;
    }

    private sealed record CachedToken(string Token, DateTimeOffset ExpiresAt);

    private sealed record TokenResponse(
        [property: JsonPropertyName("token")] string? Token,
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("expires_in")] int? ExpiresIn);

    [JsonSerializable(typeof(TokenResponse))]
    private sealed partial class TokenJson : JsonSerializerContext;
}

internal static class JsonContentReading
{
    public static async Task<T?> ReadFromJsonOrNullAsync<T>(this HttpContent content, JsonTypeInfo<T> type, CancellationToken cancellationToken) where T : class
    {
        try
        {
            await using var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return await JsonSerializer.DeserializeAsync(stream, type, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
