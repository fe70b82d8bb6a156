using Berth.Server.Hosting;

namespace Berth.Client.Tests.Support;

/// <summary>Berth in-process (see <see cref="InProcessBerthFixture"/>), as one of the registries the client is held to.</summary>
public class BerthRegistryFixture : InProcessBerthFixture, ITestRegistry
{
    public string Host => Berth.Host;

    public bool HonoursConditionalRequests => true;

    public bool HasReferrersApi => true;
}

/// <summary>Berth with the support signal switched off: conditional support must then be found by the probe.</summary>
public sealed class SilentBerthRegistryFixture : BerthRegistryFixture
{
    protected override ServerOptions ConfigureServer(ServerOptions options) => options with { AnnounceConditionalRequests = false };
}
