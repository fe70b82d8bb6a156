namespace Berth.Server.Tests.Support;

/// <summary>
/// One server for a whole test class; each test works in its own repository, so tests stay
/// independent while the class pays for one server start.
/// </summary>
public sealed class SharedRegistryFixture : IAsyncLifetime
{
    private TestRegistry? _registry;

    public TestRegistry Registry => _registry ?? throw new InvalidOperationException("not started");

    public HttpClient Client => Registry.Client;

    public async Task InitializeAsync() => _registry = await TestRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        if (_registry is not null) await _registry.DisposeAsync();
    }
}
