using System.Net;

namespace Berth.Client.Transfers;

/// <summary>
/// Follows redirects for the client (HttpClient's own following is off), because what a request may
/// carry to the next hop depends on where it goes. Registries redirect blob GET/HEAD to object storage
/// (distribution-spec "Pulling blobs": "the registry MAY respond with a redirect"; Berth's and CNCF
/// Distribution's <c>redirect</c> storage setting answer 307 with a presigned URL). To another origin
/// (scheme, host or port differ, RFC 6454) the request goes without:
/// <list type="bullet">
/// <item><c>Authorization</c>: the registry's token is not for the storage host, and a presigned URL
/// carries its own authority (S3 even refuses a request with both);</item>
/// <item>the conditional headers (<c>If-Match</c>, <c>If-None-Match</c>, <c>If-Range</c>,
/// <c>If-Modified-Since</c>, <c>If-Unmodified-Since</c>): their validators are the registry's — digest
/// ETags, conditional-requests §5.1 — not the storage host's (an object store's ETag is an MD5 or an
/// opaque version), so forwarding them makes the store answer 412 or 304 for content that is exactly
/// what was asked for (RFC 9110 §13.1: preconditions are evaluated against the target resource's own
/// validators).</item>
/// </list>
/// <c>Range</c> is kept: a blob addressed by its digest is immutable, so a range of it needs no
/// If-Range, and the reader verifies the digest of every byte anyway. The original request is never
/// changed, so a caller that repeats it (after a 401 or a transient 5xx) asks the registry again, not
/// the storage host. A redirect from https to http is not followed (nor is it by HttpClient).
/// </summary>
internal sealed class RedirectHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    /// <summary>As Go's net/http client, which docker and crane use (HttpClient's default is 50).</summary>
    private const int MaxRedirects = 10;

    private static readonly HttpRequestOptionsKey<bool> CrossedOriginKey = new("Berth.Client.RedirectedAcrossOrigins");

    private static readonly string[] ConditionalHeaders =
        ["If-Match", "If-None-Match", "If-Range", "If-Modified-Since", "If-Unmodified-Since"];

    /// <summary>Whether the response came from another origin than the request was sent to; its validators are then not the registry's.</summary>
    public static bool CameFromAnotherOrigin(HttpResponseMessage response) =>
        response.RequestMessage?.Options.TryGetValue(CrossedOriginKey, out var crossed) == true && crossed;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var origin = request.RequestUri!;
        var current = request;
        for (var hop = 0; hop < MaxRedirects && NextHop(current, response, origin) is { } next; hop++)
        {
            response.Dispose();
            current = next;
            response = await base.SendAsync(next, cancellationToken).ConfigureAwait(false);
        }
        return response;
    }

    private static HttpRequestMessage? NextHop(HttpRequestMessage request, HttpResponseMessage response, Uri origin)
    {
        if (response.StatusCode is not (HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect)) return null;
        if (response.Headers.Location is not { } location) return null;
        var target = location.IsAbsoluteUri ? location : new Uri(request.RequestUri!, location);
        if (target.Scheme != Uri.UriSchemeHttp && target.Scheme != Uri.UriSchemeHttps) return null;
        if (request.RequestUri!.Scheme == Uri.UriSchemeHttps && target.Scheme == Uri.UriSchemeHttp) return null;
        // RFC 9110 §10.2.2: the fragment of the original URI carries over when the Location has none.
        if (string.IsNullOrEmpty(target.Fragment) && !string.IsNullOrEmpty(request.RequestUri.Fragment))
        {
            target = new UriBuilder(target) { Fragment = request.RequestUri.Fragment.TrimStart('#') }.Uri;
        }

        // RFC 9110 §15.4.4 (303) and §15.4.2/3 (301/302 after POST, as user agents do): the next hop is a GET without a body.
        var method = request.Method;
        var keepBody = response.StatusCode is HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;
        if ((response.StatusCode == HttpStatusCode.SeeOther && method != HttpMethod.Head)
            || (response.StatusCode is HttpStatusCode.MovedPermanently or HttpStatusCode.Found && method == HttpMethod.Post))
        {
            method = HttpMethod.Get;
            keepBody = false;
        }
        // 307/308 repeat the body; only a body held in memory can be sent twice.
        if (keepBody && request.Content is not (null or ByteArrayContent or ReadOnlyMemoryContent)) return null;

        var crossOrigin = !SameOrigin(origin, target);
        var next = new HttpRequestMessage(method, target) { Version = request.Version, VersionPolicy = request.VersionPolicy };
        foreach (var header in request.Headers)
        {
            if (crossOrigin && (header.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase)
                                || header.Key.Equals("Cookie", StringComparison.OrdinalIgnoreCase)
                                || ConditionalHeaders.Contains(header.Key, StringComparer.OrdinalIgnoreCase))) continue;
            next.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        if (keepBody) next.Content = request.Content;
        foreach (var option in request.Options) ((IDictionary<string, object?>)next.Options)[option.Key] = option.Value;
        next.Options.Set(CrossedOriginKey, crossOrigin);
        return next;
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        a.Scheme.Equals(b.Scheme, StringComparison.OrdinalIgnoreCase)
        && a.IdnHost.Equals(b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;
}
