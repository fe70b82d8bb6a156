using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Berth.Auth;
using Berth.Registry;
using Berth.Server.Logging;
using Berth.Server.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Berth.Server.Hosting;

/// <summary>
/// Berth as its own process (<c>berth serve</c>): Kestrel with the configured address, TLS and limits, console
/// logging, and <see cref="BerthApplicationBuilderExtensions.MapBerth"/>; anything outside Berth's paths is 404.
/// </summary>
public sealed class RegistryServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RegistryServer(WebApplication app) => _app = app;

    public BerthRegistry Registry => _app.Services.GetRequiredService<BerthRegistry>();

    /// <summary>Authentication and access control, when enabled.</summary>
    public BerthAuth? Auth => _app.Services.GetService<BerthAuth>();

    /// <summary>The settings in force: those of the start, or of the last reload.</summary>
    public ServerOptions Options => _app.Services.GetRequiredService<SettingsReloader>().Current;

    /// <summary>Applies new settings to the running server, as a config reload does.</summary>
    public ReloadOutcome Reload(ServerOptions next) => _app.Services.GetRequiredService<SettingsReloader>().Apply(next);

    /// <summary>The pull-through cache, when upstreams are configured.</summary>
    public Cache.PullThroughCache? Cache => _app.Services.GetService<Cache.PullThroughCache>();

    /// <summary>The base address actually bound, e.g. http://127.0.0.1:41234 when port 0 was asked for.</summary>
    public Uri Address =>
        new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <param name="time">The clock of the registry, auth and background upkeep; the system clock unless a test fakes it.</param>
    /// <param name="settings">Where to read the settings again on SIGHUP or a file change; null: no reload.</param>
    public static RegistryServer Create(ServerOptions options, TimeProvider? time = null, SettingsSource? settings = null)
    {
        // The certificate and the realm are checked first; MapBerth then opens the other settings that can be wrong, then storage.
        RequireRealmOffLoopback(options);
        (X509Certificate2 Certificate, X509Certificate2Collection Chain)? tls = options.Tls is null ? null : ServerCertificate.Load(options.Tls);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (options.LogFormat == LogFormat.Json)
        {
            builder.Logging.AddJsonConsole(console =>
            {
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                console.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                console.UseUtcTimestamp = true;
            });
        }
        foreach (var provider in options.LoggerProviders) builder.Logging.AddProvider(provider);
        builder.Logging.SetMinimumLevel(options.LogLevel);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        if (options.LogLevel <= LogLevel.Information)
        {
            // The access log has a writer of its own (issue 15 item 7): the console logger would format every line on
            // the request path and write each with a call of its own. The other destinations still get the lines.
            builder.Logging.AddFilter<ConsoleLoggerProvider>(AccessLogWriter.Category, LogLevel.None);
            builder.Services.AddSingleton(provider => new AccessLogWriter(options.AccessLogOutput, options.LogFormat, options.AccessLogQueueCapacity,
                provider.GetRequiredService<ILogger<AccessLogWriter>>(), provider.GetRequiredService<Observability.ServerMetrics>(),
                provider.GetRequiredService<TimeProvider>()));
            builder.Services.AddHostedService(provider => provider.GetRequiredService<AccessLogWriter>());
        }
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureKestrel(kestrel, options, tls));
        builder.Services.AddSingleton(time ?? TimeProvider.System);
        builder.Services.AddBerth(options);
        if (settings is not null)
        {
            builder.Services.AddSingleton(settings);
            builder.Services.AddHostedService<SettingsReloadService>();
        }
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));

        var app = builder.Build();
        try
        {
            app.MapBerth();
            app.UseMiddleware<RequestLoggingMiddleware>();
            app.Run(context =>
            {
                // berth serve owns the whole host, so its root leads to the UI (when there is one).
                var isRead = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
                if (options.Ui.Enabled && isRead && context.Request.Path == "/")
                {
                    context.Response.Redirect(context.Request.PathBase + "/ui/");
                    return Task.CompletedTask;
                }
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        }
        catch
        {
            // Whatever was opened before the bad setting is closed with the host.
            app.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
        return new RegistryServer(app);
    }

    private static void ConfigureKestrel(KestrelServerOptions kestrel, ServerOptions options,
        (X509Certificate2 Certificate, X509Certificate2Collection Chain)? tls)
    {
        // Small until a request is authorised; the endpoint then raises it for uploads and manifests.
        kestrel.Limits.MaxRequestBodySize = RequestBodyLimits.BeforeAuthorisation;
        kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(240, options.ClientStallTimeout);
        kestrel.Limits.RequestHeadersTimeout = options.ClientStallTimeout;
        kestrel.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
        kestrel.AddServerHeader = false;
        var (host, port) = ParseListen(options.Listen);
        Action<ListenOptions> listen = endpoint =>
        {
            if (tls is not { } https) return;
            // ALPN offers h2 and http/1.1; clients that speak HTTP/2 multiplex blob transfers on one connection.
            endpoint.Protocols = HttpProtocols.Http1AndHttp2;
            endpoint.UseHttps(adapter =>
            {
                adapter.ServerCertificate = https.Certificate;
                adapter.ServerCertificateChain = https.Chain;
                // Explicit rather than the OS default: TLS 1.0 and 1.1 are deprecated (RFC 8996).
                adapter.SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
            });
        };
        if (host is "localhost") kestrel.ListenLocalhost(port, listen);
        else kestrel.Listen(IPAddress.Parse(host), port, listen);
        if (options.Metrics.Listen is { } operations)
        {
            // Plain HTTP: scrapers and probes sit on the monitoring network, and /metrics holds no secret.
            var (metricsHost, metricsPort) = ParseListen(operations);
            if (metricsHost is "localhost") kestrel.ListenLocalhost(metricsPort, Observability.OperationsListener.Mark);
            else kestrel.Listen(IPAddress.Parse(metricsHost), metricsPort, Observability.OperationsListener.Mark);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    /// <summary>After <see cref="StartAsync"/>: waits for SIGTERM or Ctrl-C; stopping lets requests in flight finish.</summary>
    public Task WaitForShutdownAsync() => _app.WaitForShutdownAsync();

    /// <summary>Stops the host; the registry, authentication and limiter are disposed with its services.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Whether the listen address is reachable from this machine only.</summary>
    public static bool IsLoopback(string listen)
    {
        var (host, _) = ParseListen(listen);
        return host == "localhost" || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }

    /// <summary>
    /// Without auth.realm the 401 challenge sends clients to "&lt;scheme&gt;://&lt;Host header&gt;/auth/token", and
    /// the Host header is whatever the client sent: anyone who can make a victim's client talk to the registry
    /// under another Host name (a proxy, a DNS alias) would send the victim's password to that name. On
    /// loopback only local clients are affected, so the convenient default stays there.
    /// </summary>
    private static void RequireRealmOffLoopback(ServerOptions options)
    {
        if (options.Auth is not { Realm: null } || IsLoopback(options.Listen)) return;
        throw new InvalidDataException(
            $"listening on {options.Listen} with authentication needs auth.realm (env BERTH_AUTH_REALM), the public URL of the "
            + "token endpoint, e.g. https://registry.example.com/auth/token; without it the challenge would trust the request's Host header");
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
