using Berth.Interop.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Interop.Tests;

/// <summary>The harness itself: a client that is missing or fails makes the test fail, saying why.</summary>
[Trait("Category", "Interop")]
public sealed class HarnessTests(ITestOutputHelper output)
{
    [Fact]
    public void MissingClient_FailsNamingTheDebianPackageToInstall()
    {
        var missing = new ThirdPartyClient("berth-interop-no-such-client", "berth-interop-no-such-package");
        var error = Assert.Throws<ToolMissingException>(missing.Resolve);
        Assert.Contains("'berth-interop-no-such-client' is not installed", error.Message);
        Assert.Contains("apt-get install -y --no-install-recommends berth-interop-no-such-package", error.Message);
    }

    [Fact]
    public async Task FailingClient_FailsTheTestWithItsOutput()
    {
        await using var sandbox = Sandbox.Create(output);
        var error = await Assert.ThrowsAsync<CommandFailedException>(() => sandbox.RunAsync(ThirdPartyClient.Skopeo, ["inspect", "--no-such-flag"]));
        Assert.Contains("skopeo inspect --no-such-flag", error.Message);
        Assert.Contains("exited 1", error.Message);
        Assert.Contains("no-such-flag", error.Message[error.Message.IndexOf("--- stderr ---", StringComparison.Ordinal)..]);
    }
}
