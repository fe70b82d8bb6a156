using Berth.Testing.Backends;

namespace Berth.Client.Tests.Support;

/// <summary>CNCF Distribution (see <see cref="DistributionRegistryProcess"/>) as a registry the client tests run against.</summary>
public class DistributionRegistryFixture : ITestRegistry, IAsyncLifetime
{
    private DistributionRegistryProcess? _registry;

    public string Host => _registry?.Host ?? throw new InvalidOperationException("Distribution has not started");

    public bool HonoursConditionalRequests => false;

    public bool HasReferrersApi => false;

    /// <summary>Extra top-level YAML sections, e.g. "auth:".</summary>
    protected virtual string ExtraConfiguration(string root) => "";

    public virtual async Task InitializeAsync() => _registry = await DistributionRegistryProcess.StartAsync(ExtraConfiguration);

    public virtual async Task DisposeAsync()
    {
        if (_registry is not null) await _registry.DisposeAsync();
    }
}
