using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Berth.Cache.Tests.Support;

/// <summary>One request the proxy forwarded upstream, as the upstream answered it.</summary>
public sealed record ForwardedRequest(string Method, string PathAndQuery, int Status, long BodyBytes, string? IfNoneMatch);

/// <summary>
/// A small HTTP proxy on loopback between the cache and its real upstream registry, recording every request
/// that reaches upstream. It can also play a broken upstream: refuse every request, or flip one byte of every
/// blob body it relays (a corrupting middlebox).
/// </summary>
public sealed class CountingProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "Upgrade", "Proxy-Connection", "TE", "Trailer", "Host",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly ConcurrentQueue<ForwardedRequest> _requests = new();

    private CountingProxy(WebApplication app, Uri target)
    {
        _app = app;
        _upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = target };
    }

    public Uri Address { get; private set; } = null!;

    /// <summary>Answer every request with 503, as an upstream that is down behind its load balancer.</summary>
    public bool Down { get; set; }

    /// <summary>Drop If-None-Match before forwarding: an upstream that ignores conditional requests.</summary>
    public bool IgnoreConditions { get; set; }

    /// <summary>Flip the first byte of every blob body relayed.</summary>
    public bool CorruptBlobs { get; set; }

    public IReadOnlyList<ForwardedRequest> Requests => [.. _requests];

    public void Clear() => _requests.Clear();

    public static async Task<CountingProxy> StartAsync(Uri target)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var proxy = new CountingProxy(app, target);
        app.Run(proxy.ForwardAsync);
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        proxy.Address = new Uri(bound);
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        var pathAndQuery = request.Path + request.QueryString;
        if (Down)
        {
            _requests.Enqueue(new ForwardedRequest(request.Method, pathAndQuery, 503, 0, request.Headers.IfNoneMatch));
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        using var forwarded = new HttpRequestMessage(new HttpMethod(request.Method), pathAndQuery);
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0) forwarded.Content = new StreamContent(request.Body);
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name) || (IgnoreConditions && name.Equals("If-None-Match", StringComparison.OrdinalIgnoreCase))) continue;
            if (!forwarded.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values)) forwarded.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        using var answer = await _upstream.SendAsync(forwarded, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        var response = context.Response;
        response.StatusCode = (int)answer.StatusCode;
        foreach (var (name, values) in answer.Headers.Concat(answer.Content.Headers))
        {
            if (!HopByHop.Contains(name)) response.Headers[name] = values.ToArray();
        }
        var body = await answer.Content.ReadAsByteArrayAsync(context.RequestAborted);
        if (CorruptBlobs && request.Path.Value?.Contains("/blobs/sha256:", StringComparison.Ordinal) == true && body.Length > 0) body[0] ^= 0xFF;
        _requests.Enqueue(new ForwardedRequest(request.Method, pathAndQuery, (int)answer.StatusCode, body.Length, request.Headers.IfNoneMatch));
        if (!HttpMethods.IsHead(request.Method)) await response.Body.WriteAsync(body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        _upstream.Dispose();
        await _app.DisposeAsync();
    }
}
