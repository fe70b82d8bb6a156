using System.Net;
using Berth.Interop.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Interop.Tests;

/// <summary>
/// The README's Install section, done for real: Berth packed as a dotnet tool from a copy of its sources,
/// installed with <c>dotnet tool install --tool-path</c>, and the installed <c>berth serve</c> answering
/// /v2/ and taking a push that skopeo pulls back unchanged.
/// </summary>
[Trait("Category", "Interop")]
[Collection(BerthReleaseBuildCollection.Name)]
public sealed class DotnetToolInstallTests
{
    private readonly BerthReleaseBuild _build;
    private readonly ITestOutputHelper _output;

    public DotnetToolInstallTests(BerthReleaseBuild build, ITestOutputHelper output)
    {
        _build = build;
        _output = output;
        build.Output.Current = output;
    }

    [Fact]
    public async Task PackedTool_InstalledWithToolPath_ServesPushAndPull()
    {
        await using var sandbox = Sandbox.Create(_output);
        var source = _build.Source;
        var feed = sandbox.Folder("feed");
        var tools = Path.Combine(sandbox.Root, "bin");

        await sandbox.RunAsync(ThirdPartyClient.Dotnet, ["pack", source.CliProject, "-c", "Release", "--no-build", "-o", feed, .. BerthSource.NoBuildServers],
            _build.DotnetEnvironment(sandbox), workingDirectory: source.Root, timeout: TimeSpan.FromMinutes(5));
        Assert.Single(Directory.GetFiles(feed, "Berth.*.nupkg"));
        // A private packages folder: Berth 0.1.0 cached in the machine's could be what every later run installs, whatever the sources.
        await sandbox.RunAsync(ThirdPartyClient.Dotnet, ["tool", "install", "--tool-path", tools, "--add-source", feed, "Berth"],
            BerthSource.DotnetEnvironment(sandbox), workingDirectory: sandbox.Root, timeout: TimeSpan.FromMinutes(3));

        var installed = Path.Combine(tools, "berth");
        Assert.True(File.Exists(installed), $"dotnet tool install left no {installed}");
        var berth = await BerthServer.StartInstalledAsync(sandbox, installed);

        using (var response = await berth.Http.GetAsync("/v2/"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var layout = OciLayout.Create(sandbox.Folder("push"));
        var image = Images.BusyboxImage(layout, "amd64");
        await berth.PushAsync(layout, image.Manifest, "installed/busybox", "1");

        var pulled = OciLayout.Create(sandbox.Folder("pulled"));
        await sandbox.RunAsync(ThirdPartyClient.Skopeo, ["copy", "--src-tls-verify=false", $"docker://{berth.Host}/installed/busybox:1", $"oci:{pulled.Path}:1"]);
        Assert.Equal(image.Manifest.Digest, pulled.Resolve("1").Digest);
        Assert.Equal(File.ReadAllBytes(layout.BlobPath(image.Layers[0].Descriptor.Digest)), File.ReadAllBytes(pulled.BlobPath(image.Layers[0].Descriptor.Digest)));
    }
}
