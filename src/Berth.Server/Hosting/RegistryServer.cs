using System.Net;
using Berth.Registry;
using Berth.Server.Endpoints;
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

    private RegistryServer(WebApplication app, BerthRegistry registry)
    {
        _app = app;
        _registry = registry;
    }

    public BerthRegistry Registry => _registry;

    /// <summary>The base address actually bound, e.g. http://127.0.0.1:41234 when port 0 was asked for.</summary>
    public Uri Address =>
        new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static RegistryServer Create(ServerOptions options)
    {
        var registry = BerthRegistry.Open(options.Registry);
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
            if (host is "localhost") kestrel.ListenLocalhost(port);
            else kestrel.Listen(IPAddress.Parse(host), port);
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
            v2.Run(endpoint.HandleAsync);
        });
        app.Run(context =>
        {
            context.Response.StatusCode = Microsoft.AspNetCore.Http.StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        return new RegistryServer(app, registry);
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    /// <summary>After <see cref="StartAsync"/>: waits for SIGTERM or Ctrl-C; stopping lets requests in flight finish.</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _registry.Dispose();
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
