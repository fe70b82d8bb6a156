using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Berth.Interop.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Interop.Tests;

/// <summary>
/// Berth's own container image, built the README's way (<c>dotnet publish src/Berth.Cli -t:PublishContainer</c>)
/// and served by Berth itself: a .NET runtime base image, built offline from this machine's .NET host, shared
/// frameworks and the libraries they link (<see cref="Images.DotnetRuntimeImage"/>), is pushed to a Berth the test
/// starts; the SDK builds on it and pushes Berth's image to that same Berth; skopeo pulls the image back to check
/// the settings of src/Berth.Cli/Berth.Cli.csproj; and podman (root, vfs storage, host network) runs the image
/// pulled from Berth, whose containerised berth must answer /v2/.
/// </summary>
[Trait("Category", "Interop")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(BerthReleaseBuildCollection.Name)]
public sealed class BerthContainerImageTests
{
    private readonly BerthReleaseBuild _build;
    private readonly ITestOutputHelper _output;

    public BerthContainerImageTests(BerthReleaseBuild build, ITestOutputHelper output)
    {
        _build = build;
        _output = output;
        build.Output.Current = output;
    }

    [Fact]
    public async Task PublishContainer_OnRuntimeBaseFromBerth_PushesBerthsImageThatRunsInPodman()
    {
        await using var sandbox = Sandbox.Create(_output);
        var berth = await BerthServer.StartAsync(sandbox);
        var registry = berth.Host;
        var layout = OciLayout.Create(sandbox.Folder("base"));
        var baseImage = Images.DotnetRuntimeImage(layout);
        await berth.PushAsync(layout, baseImage.Manifest, "dotnet/runtime", "10.0");

        var source = _build.Source;
        var environment = _build.DotnetEnvironment(sandbox);
        environment["DOTNET_CONTAINER_INSECURE_REGISTRIES"] = registry;
        await sandbox.RunAsync(ThirdPartyClient.Dotnet,
        [
            "publish", source.CliProject, "-c", "Release", "--no-build", "-t:PublishContainer", .. BerthSource.NoBuildServers,
            $"-p:ContainerBaseImage={registry}/dotnet/runtime:10.0",
            $"-p:ContainerRegistry={registry}",
            "-p:ContainerImageTag=test",
        ], environment, workingDirectory: source.Root, timeout: TimeSpan.FromMinutes(5));

        var pulled = OciLayout.Create(sandbox.Folder("pulled"));
        await sandbox.RunAsync(ThirdPartyClient.Skopeo, ["copy", "--src-tls-verify=false", $"docker://{registry}/berth:test", $"oci:{pulled.Path}:test"]);
        var manifest = pulled.ReadJsonBlob(pulled.Resolve("test").Digest);
        var layers = manifest["layers"]!.AsArray().Select(l => (string)l!["digest"]!).ToList();
        Assert.Equal(baseImage.Layers.Select(l => l.Descriptor.Digest), layers.Take(baseImage.Layers.Count));
        var config = pulled.ReadJsonBlob((string)manifest["config"]!["digest"]!)["config"]!;
        Assert.Equal(["dotnet", "/app/berth.dll"], Strings(config["Entrypoint"]));
        Assert.Equal(["serve"], Strings(config["Cmd"]));
        Assert.Equal("1654", (string)config["User"]!);
        Assert.Equal("/app/", (string)config["WorkingDir"]!);
        Assert.NotNull(config["ExposedPorts"]?["5000/tcp"]);
        var env = Strings(config["Env"]);
        Assert.Contains("BERTH_LISTEN=0.0.0.0:5000", env);
        Assert.Contains("BERTH_DATA=/var/lib/berth", env);
        Assert.Contains("DOTNET_ROOT=/usr/share/dotnet", env);

        await RunInPodmanAsync(sandbox, $"{registry}/berth:test");
    }

    /// <summary>
    /// Runs the image with podman, detached, on the host network (no CNI set-up needed) on a free port, with a
    /// data folder owned by the image's user mounted at /var/lib/berth, and waits for /v2/ to answer 200.
    /// Where the tests themselves run in a container (as on the project's machines: cgroup v1 controllers, no
    /// systemd, no CAP_SYS_RESOURCE), podman's defaults cannot start anything: crun refuses hybrid cgroups, so
    /// runc runs the container; podman writes the cgroups itself (cgroupfs) instead of asking systemd; and its
    /// default rlimits (nofile 1048576) are above the hard limits, which only CAP_SYS_RESOURCE may raise, so the
    /// container gets lower ones, which any host allows.
    /// </summary>
    private async Task RunInPodmanAsync(Sandbox sandbox, string image)
    {
        var runc = ChildProcess.Require("runc", "runc");
        var podman = new[] { "--root", sandbox.Folder("podman/root"), "--runroot", sandbox.Folder("podman/run"), "--storage-driver", "vfs",
            "--cgroup-manager", "cgroupfs", "--runtime", runc };
        var data = sandbox.Folder("container-data");
        await sandbox.RunAsync(Chown, [$"{Images.AppUid}:{Images.AppUid}", data]);
        var port = FreePort();
        const string name = "berth-in-podman";
        try
        {
            await sandbox.RunAsync(ThirdPartyClient.Podman,
            [
                .. podman, "run", "--detach", "--name", name, "--tls-verify=false", "--network", "host",
                "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096",
                "--env", $"BERTH_LISTEN=127.0.0.1:{port}", "--volume", $"{data}:/var/lib/berth", image,
            ], timeout: TimeSpan.FromMinutes(3));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            HttpStatusCode? status = null;
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    using var response = await http.GetAsync("/v2/");
                    status = response.StatusCode;
                    break;
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(250);
                }
            }
            if (status != HttpStatusCode.OK)
            {
                var logs = await sandbox.TryRunAsync(ThirdPartyClient.Podman, [.. podman, "logs", name]);
                Assert.Fail($"the containerised berth answered /v2/ with {status?.ToString() ?? "nothing"} within 60s\n{logs.Output}\n{logs.Error}");
            }
            Assert.True(Directory.EnumerateFileSystemEntries(data).Any(), "berth in the container wrote nothing to the mounted data folder");
        }
        finally
        {
            await sandbox.TryRunAsync(ThirdPartyClient.Podman, [.. podman, "rm", "--force", "--time", "0", name]);
        }
    }

    private static readonly ThirdPartyClient Chown = new("chown", "coreutils");

    private static IReadOnlyList<string> Strings(JsonNode? array) => array?.AsArray().Select(e => (string)e!).ToList() ?? [];

    /// <summary>A loopback port free at this moment: the containerised berth has to be told one, unlike the test's own.</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
