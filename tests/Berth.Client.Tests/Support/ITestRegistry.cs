using Berth.Client;

namespace Berth.Client.Tests.Support;

/// <summary>A real registry the tests talk to over loopback HTTP.</summary>
public interface ITestRegistry
{
    /// <summary>host:port, as it goes in a reference.</summary>
    string Host { get; }

    /// <summary>Berth honours conditional requests; Distribution ignores them.</summary>
    bool HonoursConditionalRequests { get; }

    /// <summary>Berth has the referrers API; Distribution 2.x does not.</summary>
    bool HasReferrersApi { get; }
}

public static class TestRegistryExtensions
{
    public static RegistryClient NewClient(this ITestRegistry registry, Func<RegistryClientOptions, RegistryClientOptions>? configure = null) =>
        new RegistryClientBuilder(registry.Host).Configure(configure ?? (o => o)).Build();

    public static RegistryClient NewClient(string host, Func<RegistryClientOptions, RegistryClientOptions>? configure = null) =>
        new RegistryClientBuilder(host).Configure(configure ?? (o => o)).Build();

    /// <summary>A repository name no other test uses, so tests can share one registry.</summary>
    public static string UniqueRepository(string prefix) => $"{prefix}/{Guid.NewGuid().ToString("N")[..12]}";
}
