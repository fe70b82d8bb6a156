using Berth.Auth;
using Berth.Registry;
using Berth.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Tests.Support;

/// <summary>
/// A real Berth server on an ephemeral loopback port with its data in a fresh temporary folder,
/// and an HttpClient pointed at it. Dispose stops the server and deletes the folder, unless the folder
/// was given by the caller (e.g. shared by two servers), in which case the caller deletes it.
/// </summary>
public sealed class TestRegistry : IAsyncDisposable
{
    private readonly RegistryServer _server;
    private readonly bool _ownsDataDirectory;

    private TestRegistry(RegistryServer server, string dataDirectory, bool ownsDataDirectory)
    {
        _server = server;
        DataDirectory = dataDirectory;
        _ownsDataDirectory = ownsDataDirectory;
        Client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = server.Address,
        };
    }

    public HttpClient Client { get; }

    public Uri Address => _server.Address;

    public string DataDirectory { get; }

    public BerthRegistry Registry => _server.Registry;

    /// <summary>Authentication and access control, when the server was started with them.</summary>
    public BerthAuth? Auth => _server.Auth;

    /// <param name="server">Changes to the server's options (auth, TLS, rate limits), applied last.</param>
    public static async Task<TestRegistry> StartAsync(Func<RegistryOptions, RegistryOptions>? configure = null, string? dataDirectory = null,
        Func<ServerOptions, ServerOptions>? server = null)
    {
        var data = dataDirectory ?? Path.Combine(Path.GetTempPath(), "berth-test-" + Guid.NewGuid().ToString("N"));
        var registryOptions = new RegistryOptions { DataDirectory = data };
        if (configure is not null) registryOptions = configure(registryOptions);
        var options = new ServerOptions
        {
            Listen = "127.0.0.1:0",
            Registry = registryOptions,
            LogLevel = LogLevel.Warning,
        };
        var started = RegistryServer.Create(server is null ? options : server(options));
        await started.StartAsync();
        return new TestRegistry(started, data, ownsDataDirectory: dataDirectory is null);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _server.DisposeAsync();
        if (!_ownsDataDirectory) return;
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp folder is harmless.
        }
    }
}
