using Berth.Auth;
using Berth.Registry;
using Berth.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.Testing;

/// <summary>
/// Berth in this process: Kestrel on an ephemeral loopback port, storage from <see cref="TestBackend.Current"/>
/// with its files in a fresh temporary folder, and an HttpClient pointed at it. Dispose stops the server and
/// deletes the folder, unless the caller gave the folder (e.g. shared by two servers) and so deletes it itself.
/// </summary>
public sealed class InProcessBerth : IAsyncDisposable
{
    private readonly RegistryServer _server;
    private readonly bool _ownsDataDirectory;

    private InProcessBerth(RegistryServer server, string dataDirectory, bool ownsDataDirectory, TimeProvider time)
    {
        _server = server;
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        Time = time;
        Client = NewClient();
    }

    /// <summary>A client of this server that follows no redirects and keeps no cookies, so tests see every response as sent.</summary>
    public HttpClient Client { get; }

    /// <summary>The base address actually bound, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address => _server.Address;

    /// <summary>The server itself, for what a test does to a running server (a settings reload).</summary>
    public RegistryServer Server => _server;

    /// <summary>"127.0.0.1:PORT", as it goes in an image reference.</summary>
    public string Host => $"{Address.Host}:{Address.Port}";

    public string DataDirectory { get; }

    /// <summary>The registry's operations, for setting up or inspecting state without HTTP.</summary>
    public BerthRegistry Registry => _server.Registry;

    /// <summary>Authentication and access control, when the server was started with them.</summary>
    public BerthAuth? Auth => _server.Auth;

    /// <summary>The pull-through cache, when the server was started with upstreams.</summary>
    public Cache.PullThroughCache? Cache => _server.Cache;

    /// <summary>The server's clock: the system's, or the fake one the test passed in.</summary>
    public TimeProvider Time { get; }

    /// <param name="registry">Changes to the registry's options (policies, limits, expiries).</param>
    /// <param name="dataDirectory">The data folder; by default a fresh temporary folder owned by this server.</param>
    /// <param name="server">Changes to the server's options (auth, TLS, rate limits), applied last.</param>
    /// <param name="time">The server's clock, e.g. a FakeTimeProvider, so no test waits for real time to pass.</param>
    /// <param name="backend">The stores; <see cref="TestBackend.Current"/> unless the test is about one store in particular.</param>
    public static async Task<InProcessBerth> StartAsync(Func<RegistryOptions, RegistryOptions>? registry = null, string? dataDirectory = null,
        Func<ServerOptions, ServerOptions>? server = null, TimeProvider? time = null, TestBackend? backend = null)
    {
        var data = dataDirectory ?? TemporaryFolder.NewPath();
        var registryOptions = new RegistryOptions { DataDirectory = data };
        if (registry is not null) registryOptions = registry(registryOptions);
        registryOptions = await (backend ?? TestBackend.Current).ConfigureAsync(registryOptions);
        var options = new ServerOptions
        {
            Listen = "127.0.0.1:0",
            Registry = registryOptions,
            LogLevel = LogLevel.Warning,
        };
        time ??= TimeProvider.System;
        var started = RegistryServer.Create(server is null ? options : server(options), time);
        try
        {
            await started.StartAsync();
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }
        return new InProcessBerth(started, data, ownsDataDirectory: dataDirectory is null, time);
    }

    /// <summary>A further client with its own connections (for racing clients), disposed by the caller.</summary>
    public HttpClient NewClient(TimeSpan? timeout = null) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = Address,
            Timeout = timeout ?? TimeSpan.FromSeconds(100),
        };

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _server.DisposeAsync();
        if (_ownsDataDirectory) TemporaryFolder.Delete(DataDirectory);
    }
}

/// <summary>
/// One in-process Berth for a whole test class; each test works in its own repository, so tests stay
/// independent while the class pays for one server start. Subclasses adjust the server's options.
/// </summary>
public class InProcessBerthFixture : IAsyncLifetime
{
    private InProcessBerth? _berth;

    public InProcessBerth Berth => _berth ?? throw new InvalidOperationException("the fixture's server has not started");

    public HttpClient Client => Berth.Client;

    /// <summary>Changes to the registry's options (policies, limits); none by default.</summary>
    protected virtual RegistryOptions ConfigureRegistry(RegistryOptions options) => options;

    /// <summary>Changes to the server's options; none by default.</summary>
    protected virtual ServerOptions ConfigureServer(ServerOptions options) => options;

    public async Task InitializeAsync() => _berth = await InProcessBerth.StartAsync(ConfigureRegistry, server: ConfigureServer);

    public async Task DisposeAsync()
    {
        if (_berth is not null) await _berth.DisposeAsync();
    }
}
