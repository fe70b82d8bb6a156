using System.Runtime.CompilerServices;

namespace Berth.Server.Tests.Support;

/// <summary>
/// One server shared by the tests of a class (xunit class fixture), so the suite stays fast. Tests
/// stay independent by working in a repository named after the test itself.
/// </summary>
public sealed class SharedRegistry : IAsyncLifetime
{
    private TestRegistry? _registry;

    public TestRegistry Registry => _registry ?? throw new InvalidOperationException("the fixture is not started");

    public HttpClient Client => Registry.Client;

    /// <summary>A repository name unique to the calling test, e.g. "spec/chunkoutoforder_returns416andkeepssession".</summary>
    public static string Repo([CallerMemberName] string test = "") => "spec/" + test.ToLowerInvariant();

    public async Task InitializeAsync() => _registry = await TestRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        if (_registry is not null) await _registry.DisposeAsync();
    }
}
