using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace Berth.Client.Tests.Support;

/// <summary>The headers one request to the storage host arrived with.</summary>
public sealed record StorageRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A small Kestrel proxy on loopback in front of a real registry, playing what a registry deployment
/// may be: one whose blob GET/HEAD answer 307 to a second host (an object store with presigned URLs,
/// whose validators are its own MD5 ETags and which evaluates Range and every precondition against
/// them), and one without the referrers API (no OCI-Subject, 404 on /referrers/).
/// </summary>
public sealed class RegistryFront : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host",
    };

    private readonly HttpClient _upstream;
    private readonly ConcurrentQueue<StorageRequest> _storageRequests = new();
    private readonly ConcurrentDictionary<string, string> _authorizations = new();
    private WebApplication _front = null!;
    private WebApplication _storage = null!;
    private int _cutsLeft;

    private RegistryFront(Uri upstream) =>
        _upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = upstream };

    /// <summary>host:port of the front, as it goes in a reference.</summary>
    public string Host { get; private set; } = "";

    public Uri StorageAddress { get; private set; } = null!;

    /// <summary>Answer blob GET/HEAD that the registry allows with 307 to the storage host.</summary>
    public bool RedirectBlobs { get; set; }

    /// <summary>Play a registry without the referrers API.</summary>
    public bool HideReferrersApi { get; set; }

    public IReadOnlyList<StorageRequest> StorageRequests => [.. _storageRequests];

    /// <summary>The storage host drops the connection half-way through its next <paramref name="count"/> bodies.</summary>
    public void CutStorageBodies(int count) => Interlocked.Exchange(ref _cutsLeft, count);

    public static async Task<RegistryFront> StartAsync(Uri upstream)
    {
        var front = new RegistryFront(upstream);
        front._storage = await StartAppAsync(front.ServeStorageAsync);
        front.StorageAddress = Bound(front._storage);
        front._front = await StartAppAsync(front.ForwardAsync);
        var address = Bound(front._front);
        front.Host = $"{address.Host}:{address.Port}";
        return front;
    }

    private static async Task<WebApplication> StartAppAsync(RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync();
        return app;
    }

    private static Uri Bound(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    private async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "";
        if (HideReferrersApi && path.Contains("/referrers/sha256:", StringComparison.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        using var forwarded = new HttpRequestMessage(new HttpMethod(request.Method), path + request.QueryString);
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0) forwarded.Content = new StreamContent(request.Body);
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name)) continue;
            if (!forwarded.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values)) forwarded.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        // Blob reads are authorised by the registry, then redirected with a URL that carries its own authority.
        var blobRead = RedirectBlobs && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            && path.Contains("/blobs/sha256:", StringComparison.Ordinal);
        if (blobRead)
        {
            forwarded.Headers.Remove("If-Match");
            forwarded.Headers.Remove("If-None-Match");
            forwarded.Headers.Remove("If-Range");
            forwarded.Headers.Remove("Range");
        }
        using var answer = await _upstream.SendAsync(forwarded, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        var response = context.Response;
        if (blobRead && answer.IsSuccessStatusCode)
        {
            if (request.Headers.Authorization.Count > 0) _authorizations[path] = request.Headers.Authorization.ToString();
            response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            response.Headers.Location = new Uri(StorageAddress, $"bucket{path}?X-Amz-Signature={Guid.NewGuid():N}").ToString();
            return;
        }
        response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (HopByHop.Contains(name) || (HideReferrersApi && name.Equals("OCI-Subject", StringComparison.OrdinalIgnoreCase))) continue;
            response.Headers[name] = values.ToArray();
        }
        var body = await answer.Content.ReadAsByteArrayAsync(context.RequestAborted);
        if (!HttpMethods.IsHead(request.Method)) await response.Body.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>The object store: fetches the blob from the registry and answers with its own validators, as S3 would.</summary>
    private async Task ServeStorageAsync(HttpContext context)
    {
        var request = context.Request;
        _storageRequests.Enqueue(new StorageRequest(request.Method, request.Path.Value ?? "",
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
        var registryPath = (request.Path.Value ?? "")["/bucket".Length..];
        // The storage host reads the registry with the rights the client showed the front (a stand-in for its own bucket).
        using var read = new HttpRequestMessage(HttpMethod.Get, registryPath);
        if (_authorizations.TryGetValue(registryPath, out var authorization)) read.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var blob = await _upstream.SendAsync(read, context.RequestAborted);
        if (!blob.IsSuccessStatusCode)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var bytes = await blob.Content.ReadAsByteArrayAsync(context.RequestAborted);
        var etag = new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(MD5.HashData(bytes))}\"");
        if (HttpMethods.IsGet(request.Method) && !request.Headers.ContainsKey("Range") && Interlocked.Decrement(ref _cutsLeft) >= 0)
        {
            context.Response.StatusCode = 200;
            context.Response.ContentLength = bytes.Length;
            context.Response.Headers.ETag = etag.ToString();
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            context.Abort();
            return;
        }
        // Range, If-Range, If-Match, If-None-Match… evaluated by ASP.NET Core against this host's ETag.
        await Results.Bytes(bytes, "application/octet-stream", entityTag: etag, enableRangeProcessing: true).ExecuteAsync(context);
    }

    public async ValueTask DisposeAsync()
    {
        _upstream.Dispose();
        await _front.DisposeAsync();
        await _storage.DisposeAsync();
    }
}
