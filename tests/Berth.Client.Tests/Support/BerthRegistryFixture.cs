using Berth.Registry;
using Berth.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.Client.Tests.Support;

/// <summary>A Berth server on an ephemeral loopback port with its data in a fresh temporary folder.</summary>
public class BerthRegistryFixture : ITestRegistry, IAsyncLifetime
{
    private readonly bool _announce;
    private RegistryServer? _server;
    private readonly string _data = Path.Combine(Path.GetTempPath(), "berth-client-test-" + Guid.NewGuid().ToString("N"));

    public BerthRegistryFixture() : this(announceConditionalRequests: true)
    {
    }

    protected BerthRegistryFixture(bool announceConditionalRequests) => _announce = announceConditionalRequests;

    public string Host => $"127.0.0.1:{_server!.Address.Port}";

    public bool HonoursConditionalRequests => true;

    public bool HasReferrersApi => true;

    public async Task InitializeAsync()
    {
        _server = RegistryServer.Create(new ServerOptions
        {
            Listen = "127.0.0.1:0",
            Registry = new RegistryOptions { DataDirectory = _data },
            LogLevel = LogLevel.Warning,
            AnnounceConditionalRequests = _announce,
        });
        await _server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }
}

/// <summary>Berth with the support signal switched off: conditional support must then be found by the probe.</summary>
public sealed class SilentBerthRegistryFixture() : BerthRegistryFixture(announceConditionalRequests: false);
