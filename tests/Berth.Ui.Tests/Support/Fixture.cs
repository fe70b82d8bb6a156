using Berth.Ui.Tests.Support;

namespace Berth.Ui.Tests;

/// <summary>One seeded registry for a test class; tests that change content use repositories of their own.</summary>
public sealed class SeededBerth : IAsyncLifetime
{
    public InProcessBerth Berth { get; private set; } = default!;

    public string IndexDigest { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Berth = await UiScenario.StartAsync();
        IndexDigest = await UiScenario.SeedAsync(Berth.Registry);
    }

    public async Task DisposeAsync() => await Berth.DisposeAsync();
}
