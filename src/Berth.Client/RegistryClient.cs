using System.Net;
using System.Net.Http.Headers;
using Berth.Client.Auth;
using Berth.Client.Conditional;
using Berth.Client.Errors;
using Berth.Oci.Protocol;

namespace Berth.Client;

/// <summary>
/// A client for one OCI registry (distribution-spec v1.1). Thread-safe and meant to be shared: it owns
/// the connection pool, the token cache and what has been learnt about the registry (whether it
/// honours conditional requests). Work on a repository through <see cref="Repository"/>.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    /// <summary>The support signal of conditional-requests §5.3 (distribution-spec PR #251).</summary>
    public const string ConditionalSignalHeader = RegistryHeaders.ConditionalSupport;

    private readonly HttpClient _http;
    private int _conditionalSupport = (int)ConditionalSupport.Unknown;

    public RegistryClient(RegistryClientOptions options)
    {
        Options = options;
        BaseAddress = ResolveBaseAddress(options);
        var transport = new SocketsHttpHandler
        {
            // Blob GETs are commonly redirected to object storage; RedirectHandler follows them, and
            // decides what the next hop may carry (no Authorization, no conditional headers, to another host).
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        options.ConfigureTransport?.Invoke(transport);
        _http = new HttpClient(new RegistryAuthenticationHandler(options.Registry, options.Credentials, new Transfers.RedirectHandler(transport)))
        {
            BaseAddress = BaseAddress,
            // Transfers of large blobs take as long as they take; callers cancel with a token.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd(options.UserAgent);
    }

    public RegistryClientOptions Options { get; }

    /// <summary>e.g. https://ghcr.io/ or http://127.0.0.1:5000/.</summary>
    public Uri BaseAddress { get; }

    public string Registry => Options.Registry;

    /// <summary>What is known so far; see <see cref="DetectConditionalSupportAsync"/>.</summary>
    public ConditionalSupport ConditionalSupport => (ConditionalSupport)Volatile.Read(ref _conditionalSupport);

    public RepositoryClient Repository(string name) => new(this, name);

    /// <summary><c>GET /v2/</c> (end-1): checks the registry speaks the API and our credentials work.</summary>
    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v2/");
        using var response = await SendAsync(request, [], cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw await RegistryRequestException.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Whether manifest writes honour If-Match / If-None-Match (conditional-requests §5.4 "Detect
    /// support"): the signal header on any response so far or on <c>/v2/</c>; otherwise, when a
    /// manifest known to exist is given, the non-destructive probe — PUT it by digest with
    /// <c>If-None-Match: *</c>; 412 means supported, 201 (an idempotent re-put) means ignored. The
    /// answer is cached for the life of the client.
    /// </summary>
    public async Task<ConditionalSupport> DetectConditionalSupportAsync(RepositoryClient? repository = null, Manifest? existing = null,
        CancellationToken cancellationToken = default)
    {
        if (ConditionalSupport != ConditionalSupport.Unknown) return ConditionalSupport;
        using (var request = new HttpRequestMessage(HttpMethod.Get, "v2/"))
        using (var response = await SendAsync(request, [], cancellationToken).ConfigureAwait(false))
        {
            // ObserveResponse has recorded the signal if it was there.
        }
        if (ConditionalSupport != ConditionalSupport.Unknown || repository is null || existing is null) return ConditionalSupport;

        var outcome = await repository.ProbeConditionalPutAsync(existing, cancellationToken).ConfigureAwait(false);
        if (ConditionalSupport == ConditionalSupport.Unknown)
        {
            Interlocked.CompareExchange(ref _conditionalSupport, (int)outcome, (int)ConditionalSupport.Unknown);
        }
        return ConditionalSupport;
    }

    internal async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string[] scopes, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        request.Options.Set(RequestScopes.Key, scopes);
        var response = await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        ObserveResponse(response);
        // Reads are safe to repeat (RFC 9110 §9.2.2); a registry under concurrent writes can answer one
        // with a transient 5xx (CNCF Distribution does while a tag link is being rewritten) or 429.
        for (var retry = 1; retry <= TransientReadRetries && IsTransient(response) && IsRepeatableRead(request); retry++)
        {
            var delay = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(50 * retry * retry);
            response.Dispose();
            await Task.Delay(delay < TimeSpan.FromSeconds(5) ? delay : TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            using var again = CloneRead(request);
            response = await _http.SendAsync(again, completion, cancellationToken).ConfigureAwait(false);
            ObserveResponse(response);
        }
        return response;
    }

    private const int TransientReadRetries = 3;

    private static bool IsTransient(HttpResponseMessage response) =>
        response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private static bool IsRepeatableRead(HttpRequestMessage request) =>
        request.Content is null && (request.Method == HttpMethod.Get || request.Method == HttpMethod.Head);

    private static HttpRequestMessage CloneRead(HttpRequestMessage request)
    {
        var clone = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version };
        foreach (var header in request.Headers)
        {
            // The handler attaches credentials again; a stale Authorization must not be replayed.
            if (header.Key != "Authorization") clone.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        foreach (var option in request.Options) ((IDictionary<string, object?>)clone.Options)[option.Key] = option.Value;
        return clone;
    }

    /// <summary>Any response may carry the signal (§5.3: every /v2/ response, including 401 and 404).</summary>
    private void ObserveResponse(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues(ConditionalSignalHeader, out var values)
            && values.Any(v => v.Trim().Equals("yes", StringComparison.OrdinalIgnoreCase)))
        {
            Volatile.Write(ref _conditionalSupport, (int)ConditionalSupport.Announced);
        }
    }

    internal Uri ResolveLocation(HttpResponseMessage response)
    {
        // Location may be absolute or relative to the request (distribution-spec "Pushing blobs").
        var location = response.Headers.Location ?? throw new RegistryRequestException(response.StatusCode,
            response.RequestMessage?.Method.Method ?? "?", response.RequestMessage?.RequestUri, [], "the response has no Location header");
        return location.IsAbsoluteUri ? location : new Uri(response.RequestMessage?.RequestUri ?? BaseAddress, location);
    }

    private static Uri ResolveBaseAddress(RegistryClientOptions options)
    {
        var host = options.Registry;
        var plain = !options.ForceTls && (options.AllowPlainHttp || IsLoopback(host));
        return new Uri($"{(plain ? "http" : "https")}://{host}/");
    }

    /// <summary>localhost, 127.0.0.0/8 and ::1, with or without a port.</summary>
    public static bool IsLoopback(string registry)
    {
        var host = registry;
        if (host.StartsWith('['))
        {
            var end = host.IndexOf(']');
            host = end > 0 ? host[1..end] : host;
        }
        else if (host.Count(c => c == ':') == 1)
        {
            host = host[..host.IndexOf(':')];
        }
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address);
    }

    internal static MediaTypeWithQualityHeaderValue[] ManifestAcceptHeaders { get; } =
    [
        new(Oci.Manifests.MediaTypes.OciManifest),
        new(Oci.Manifests.MediaTypes.OciIndex),
        new(Oci.Manifests.MediaTypes.DockerManifest),
        new(Oci.Manifests.MediaTypes.DockerManifestList),
    ];

    public void Dispose() => _http.Dispose();
}
