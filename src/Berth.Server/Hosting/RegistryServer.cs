using System.Net;
using System.Security.Cryptography.X509Certificates;
using Berth.Auth;
using Berth.Registry;
using Berth.Server.Auth;
using Berth.Server.Endpoints;
using Berth.Server.Limits;
using Berth.Server.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Hosting;

/// <summary>Builds and runs the Berth HTTP server: Kestrel, the /v2/ pipeline, and background upkeep.</summary>
public sealed class RegistryServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly BerthRegistry _registry;
    private readonly RequestRateLimiter? _limiter;

    private RegistryServer(WebApplication app, BerthRegistry registry, BerthAuth? auth, RequestRateLimiter? limiter)
    {
        _app = app;
        _registry = registry;
        Auth = auth;
        _limiter = limiter;
    }

    public BerthRegistry Registry => _registry;

    /// <summary>Authentication and access control, when enabled.</summary>
    public BerthAuth? Auth { get; }

    /// <summary>The base address actually bound, e.g. http://127.0.0.1:41234 when port 0 was asked for.</summary>
    public Uri Address =>
        new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <param name="blobStorage">Blob and upload stores to use instead of the data folder's (an object store).</param>
    public static RegistryServer Create(ServerOptions options, BlobStorage? blobStorage = null)
    {
        // Settings that can be wrong (certificate, htpasswd, keys, limits) are loaded before storage is opened.
        (X509Certificate2 Certificate, X509Certificate2Collection Chain)? tls = options.Tls is null ? null : ServerCertificate.Load(options.Tls);
        var limiter = options.RateLimits is null ? null : new RequestRateLimiter(options.RateLimits);
        if (limiter is { IsEnabled: false })
        {
            limiter.Dispose();
            limiter = null;
        }
        var auth = options.Auth is null ? null : BerthAuth.Create(options.Auth, options.Registry.DataDirectory);
        var registry = BerthRegistry.Open(options.Registry, blobStorage);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            console.UseUtcTimestamp = true;
        });
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Blobs can be any size; manifests are bounded by the registry itself (4 MiB, then 413).
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(240, options.ClientStallTimeout);
            kestrel.Limits.RequestHeadersTimeout = options.ClientStallTimeout;
            kestrel.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
            kestrel.AddServerHeader = false;
            var (host, port) = ParseListen(options.Listen);
            Action<Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions> listen = endpoint =>
            {
                if (tls is not { } https) return;
                // ALPN offers h2 and http/1.1; clients that speak HTTP/2 multiplex blob transfers on one connection.
                endpoint.Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1AndHttp2;
                endpoint.UseHttps(adapter =>
                {
                    adapter.ServerCertificate = https.Certificate;
                    adapter.ServerCertificateChain = https.Chain;
                });
            };
            if (host is "localhost") kestrel.ListenLocalhost(port, listen);
            else kestrel.Listen(IPAddress.Parse(host), port, listen);
        });
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(options);
        builder.Services.AddHostedService<UploadExpiryService>();
        builder.Services.AddHostedService<GarbageCollectionService>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));

        var app = builder.Build();
        var endpoint = new RegistryEndpoint(registry);
        app.UseMiddleware<RequestLoggingMiddleware>();
        app.Map("/v2", v2 =>
        {
            v2.UseMiddleware<ProtocolHeadersMiddleware>(options.AnnounceConditionalRequests);
            v2.UseMiddleware<ErrorBoundaryMiddleware>();
            if (limiter is not null) v2.UseMiddleware<RateLimitMiddleware>(limiter);
            if (auth is not null) v2.UseMiddleware<AccessControlMiddleware>(auth);
            v2.Run(endpoint.HandleAsync);
        });
        if (auth is not null)
        {
            var tokens = new TokenEndpoint(auth);
            app.Map(TokenEndpoint.Path, token =>
            {
                token.UseMiddleware<ErrorBoundaryMiddleware>();
                if (limiter is not null) token.UseMiddleware<RateLimitMiddleware>(limiter);
                token.Run(tokens.HandleAsync);
            });
        }
        app.Run(context =>
        {
            context.Response.StatusCode = Microsoft.AspNetCore.Http.StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        return new RegistryServer(app, registry, auth, limiter);
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    /// <summary>After <see cref="StartAsync"/>: waits for SIGTERM or Ctrl-C; stopping lets requests in flight finish.</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _registry.Dispose();
        Auth?.Dispose();
        _limiter?.Dispose();
    }

    /// <summary>"HOST:PORT", "[v6]:PORT" or ":PORT".</summary>
    public static (string Host, int Port) ParseListen(string listen)
    {
        var colon = listen.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(listen[(colon + 1)..], out var port) || port is < 0 or > 65535)
        {
            throw new FormatException($"--listen must be HOST:PORT, not '{listen}'");
        }
        var host = listen[..colon].Trim('[', ']');
        if (host.Length == 0) host = "0.0.0.0";
        if (host != "localhost" && !IPAddress.TryParse(host, out _))
        {
            throw new FormatException($"--listen host must be an IP address or localhost, not '{host}'");
        }
        return (host, port);
    }
}
