namespace Berth.Testing.Backends;

/// <summary>One private Ceph RADOS Gateway for a test class (xunit class or collection fixture).</summary>
public sealed class CephRadosGatewayFixture : IAsyncLifetime
{
    private CephRadosGateway? _gateway;

    public CephRadosGateway Gateway => _gateway ?? throw new InvalidOperationException("the gateway has not started");

    public async Task InitializeAsync() => _gateway = await CephRadosGateway.StartAsync();

    public async Task DisposeAsync()
    {
        if (_gateway is not null) await _gateway.DisposeAsync();
    }
}

/// <summary>One private Azurite blob service for a test class (xunit class or collection fixture).</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private Azurite? _azurite;

    public Azurite Azurite => _azurite ?? throw new InvalidOperationException("Azurite has not started");

    public async Task InitializeAsync() => _azurite = await Azurite.StartAsync();

    public async Task DisposeAsync()
    {
        if (_azurite is not null) await _azurite.DisposeAsync();
    }
}
