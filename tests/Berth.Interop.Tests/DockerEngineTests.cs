using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Interop.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Interop.Tests;

/// <summary>
/// The Docker engine (Debian's docker.io, a private dockerd) against Berth with authentication on:
/// docker login through Berth's token service, push and pull back, a multi-platform index, and logout.
/// dockerd treats loopback registries as insecure, so it falls back to Berth's plain HTTP without configuration.
/// </summary>
[Trait("Category", "Interop")]
public sealed partial class DockerEngineTests : IClassFixture<DockerEngineTests.Engine>
{
    private const string User = "docker-user";

    private readonly Engine _engine;

    public DockerEngineTests(Engine engine, ITestOutputHelper output)
    {
        _engine = engine;
        engine.Output.Current = output;
    }

    private BerthServer Berth => _engine.Berth;

    private Dockerd Docker => _engine.Docker;

    [Fact]
    public async Task Login_ImportedImagePushedRemovedAndPulledBack_KeepsTheDigestBerthServes()
    {
        var client = Docker.NewClientConfig("push");
        var reference = $"{Berth.Host}/docker/app:v1";
        await LoginAsync(client);

        // What docker stores is the refresh token Berth's token service issued for the login, not the password.
        var stored = JsonNode.Parse(File.ReadAllText(Path.Combine(client, "config.json")))!["auths"]![Berth.Host]!;
        Assert.False(string.IsNullOrEmpty((string?)stored["identitytoken"]), $"no identity token stored: {stored.ToJsonString()}");
        Assert.Equal($"{User}:", Encoding.UTF8.GetString(Convert.FromBase64String((string)stored["auth"]!)));
        Assert.DoesNotContain(_engine.Password, File.ReadAllText(Path.Combine(client, "config.json")));
        Assert.Contains(Berth.Requests(), r => r.Target.StartsWith("/auth/token", StringComparison.Ordinal) && r.Status == 200);

        var layout = OciLayout.Create(_engine.Sandbox.Folder("layout-push"));
        var rootfs = Images.BusyboxLayer(layout, "docker import " + Guid.NewGuid());
        await Docker.DockerAsync(client, ["import", "--change", """CMD ["/bin/busybox", "echo", "imported"]""",
            layout.BlobPath(rootfs.Descriptor.Digest), reference]);
        var pushed = PushedDigest().Match((await Docker.DockerAsync(client, ["push", reference])).Output);
        Assert.True(pushed.Success, "docker push printed no digest");

        var served = await Berth.GetManifestAsync("docker/app", "v1");
        Assert.Equal(pushed.Groups["digest"].Value, served.Digest);
        Assert.Equal(MediaTypes.DockerManifest, served.MediaType);
        var manifest = JsonNode.Parse(served.Content)!;
        foreach (var blob in ContentGraph.Children(manifest))
        {
            Assert.Equal((blob.Digest, blob.Size), await Berth.HashBlobAsync("docker/app", blob.Digest));
        }
        var config = JsonNode.Parse(await Berth.GetBlobAsync("docker/app", (string)manifest["config"]!["digest"]!))!;
        Assert.Equal(["/bin/busybox", "echo", "imported"], config["config"]!["Cmd"]!.AsArray().Select(c => (string)c!));
        Assert.Equal(rootfs.DiffId, (string)config["rootfs"]!["diff_ids"]![0]!);

        await Docker.DockerAsync(client, ["image", "rm", reference]);
        Assert.NotEqual(0, (await Docker.TryDockerAsync(client, ["image", "inspect", reference])).ExitCode);

        await Docker.DockerAsync(client, ["pull", reference]);
        Assert.Equal($"{Berth.Host}/docker/app@{served.Digest}", await InspectAsync(client, reference, "{{index .RepoDigests 0}}"));
        Assert.Equal((string)manifest["config"]!["digest"]!, await InspectAsync(client, reference, "{{.Id}}"));
    }

    [Fact]
    public async Task PullOfAMultiPlatformIndex_PicksTheHostsPlatform_AndAnotherOnRequest()
    {
        var layout = OciLayout.Create(_engine.Sandbox.Folder("layout-multi"));
        var amd64 = Images.BusyboxImage(layout, "amd64");
        var arm64 = Images.BusyboxImage(layout, "arm64");
        var index = Images.BuildIndex(layout, [amd64, arm64]);
        await Berth.PushAsync(layout, index, "docker/multi", "v1");
        var (native, foreign) = HostArchitecture() == "arm64" ? (arm64, amd64) : (amd64, arm64);
        var client = Docker.NewClientConfig("multi");
        var reference = $"{Berth.Host}/docker/multi:v1";
        await LoginAsync(client);

        await Docker.DockerAsync(client, ["pull", reference]);
        Assert.Equal(native.Architecture, await InspectAsync(client, reference, "{{.Architecture}}"));
        Assert.Equal(native.Config.Digest, await InspectAsync(client, reference, "{{.Id}}"));
        // The digest docker records is the one it pulled by: the index's.
        Assert.Equal($"{Berth.Host}/docker/multi@{index.Digest}", await InspectAsync(client, reference, "{{index .RepoDigests 0}}"));
        // Only the chosen platform's layer was fetched.
        var nativeLayer = native.Layers.Single().Descriptor.Digest;
        await Berth.WaitForRequestAsync(r => r is { Method: "GET", Status: 200 } && r.Target == $"/v2/docker/multi/blobs/{nativeLayer}", "the native layer's GET");
        var foreignLayer = foreign.Layers.Single().Descriptor.Digest;
        Assert.DoesNotContain(Berth.Requests(), r => r.Target == $"/v2/docker/multi/blobs/{foreignLayer}");

        await Docker.DockerAsync(client, ["pull", "--platform", "linux/" + foreign.Architecture, reference]);
        Assert.Equal(foreign.Architecture, await InspectAsync(client, reference, "{{.Architecture}}"));
        Assert.Equal(foreign.Config.Digest, await InspectAsync(client, reference, "{{.Id}}"));
    }

    [Fact]
    public async Task Logout_ThenPullOfAPrivateRepository_IsRefused_WhileAPublicOneStillPulls()
    {
        var layout = OciLayout.Create(_engine.Sandbox.Folder("layout-logout"));
        var image = Images.BusyboxImage(layout, HostArchitecture());
        await Berth.PushAsync(layout, image.Manifest, "private/app", "v1");
        await Berth.PushAsync(layout, image.Manifest, "public/app", "v1");
        var client = Docker.NewClientConfig("logout");
        var privateReference = $"{Berth.Host}/private/app:v1";

        var wrongPassword = await Docker.TryDockerAsync(client, ["login", "-u", User, "--password-stdin", Berth.Host], standardInput: "not-the-password\n");
        Assert.NotEqual(0, wrongPassword.ExitCode);
        Assert.Contains("unauthorized", wrongPassword.Error, StringComparison.OrdinalIgnoreCase);

        await LoginAsync(client);
        await Docker.DockerAsync(client, ["pull", privateReference]);
        Assert.Equal(image.Config.Digest, await InspectAsync(client, privateReference, "{{.Id}}"));
        await Docker.DockerAsync(client, ["image", "rm", privateReference]);

        await Docker.DockerAsync(client, ["logout", Berth.Host]);
        var auths = JsonNode.Parse(File.ReadAllText(Path.Combine(client, "config.json")))!["auths"]?.AsObject();
        Assert.False(auths?.ContainsKey(Berth.Host) ?? false, "docker logout left the login in config.json");

        var refused = await Docker.TryDockerAsync(client, ["pull", privateReference]);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Matches("(?i)denied|unauthorized|authentication required", refused.Error);
        Assert.NotEqual(0, (await Docker.TryDockerAsync(client, ["image", "inspect", privateReference])).ExitCode);
        Assert.Contains(Berth.Requests(), r => r.Target == "/v2/private/app/manifests/v1" && r.Status == 401);

        // Anonymous callers may pull public/**: the refusal is about rights, not about the engine or the image.
        await Docker.DockerAsync(client, ["pull", $"{Berth.Host}/public/app:v1"]);
        Assert.Equal(image.Config.Digest, await InspectAsync(client, $"{Berth.Host}/public/app:v1", "{{.Id}}"));
    }

    [Fact]
    public async Task Run_OfAnImagePulledFromBerth_RunsItsBusybox()
    {
        var layout = OciLayout.Create(_engine.Sandbox.Folder("layout-run"));
        var image = Images.BusyboxImage(layout, HostArchitecture());
        await Berth.PushAsync(layout, image.Manifest, "docker/run", "v1");
        var client = Docker.NewClientConfig("run");
        var reference = $"{Berth.Host}/docker/run:v1";
        await LoginAsync(client);
        await Docker.DockerAsync(client, ["pull", reference]);

        var run = await Docker.DockerAsync(client, ["run", "--rm", "--network", "none", reference, "/bin/busybox", "echo", "ok from berth"]);
        Assert.Equal("ok from berth", run.Output.Trim());
        var marker = await Docker.DockerAsync(client, ["run", "--rm", "--network", "none", reference, "/bin/cat", "/etc/berth-image"]);
        Assert.StartsWith(HostArchitecture() + " ", marker.Output.Trim());
    }

    private async Task LoginAsync(string client)
    {
        var login = await Docker.DockerAsync(client, ["login", "-u", User, "--password-stdin", Berth.Host], standardInput: _engine.Password + "\n");
        Assert.Contains("Login Succeeded", login.Output);
    }

    private async Task<string> InspectAsync(string client, string reference, string format) =>
        (await Docker.DockerAsync(client, ["image", "inspect", "--format", format, reference])).Output.Trim();

    /// <summary>The engine picks the image of its own platform from an index: the images built for it must match.</summary>
    private static string HostArchitecture() => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "amd64",
        Architecture.Arm64 => "arm64",
        var other => throw new PlatformNotSupportedException($"no busybox image platform for {other}"),
    };

    /// <summary>"v1: digest: sha256:… size: 527", the last line of docker push.</summary>
    [GeneratedRegex(@"digest: (?<digest>sha256:[0-9a-f]{64}) size:")]
    private static partial Regex PushedDigest();

    /// <summary>
    /// One sandbox, one Berth with authentication and one dockerd for the whole class: starting an engine takes
    /// seconds. Each test uses its own repositories and its own docker client configuration.
    /// </summary>
    public sealed class Engine : IAsyncLifetime
    {
        private Sandbox? _sandbox;
        private BerthServer? _berth;
        private Dockerd? _docker;

        public string Password { get; } = "pw-" + Guid.NewGuid().ToString("N");

        /// <summary>The output of the test running now: a class fixture outlives each test's own.</summary>
        public TestOutputRelay Output { get; } = new();

        public Sandbox Sandbox => _sandbox ?? throw new InvalidOperationException("not started");

        public BerthServer Berth => _berth ?? throw new InvalidOperationException("not started");

        public Dockerd Docker => _docker ?? throw new InvalidOperationException("not started");

        public async Task InitializeAsync()
        {
            // Before anything is created: a missing engine fails every test naming the package to install.
            ThirdPartyClient.Dockerd.Resolve();
            ThirdPartyClient.Docker.Resolve();
            _sandbox = Sandbox.Create(Output);
            try
            {
                _berth = await BerthServer.StartWithAuthenticationAsync(_sandbox, User, Password, anonymousPullRepositories: "public/**");
                _docker = await Dockerd.StartAsync(_sandbox);
            }
            catch
            {
                // The tests fail with this exception; what was started is not left running.
                await _sandbox.DisposeAsync();
                _sandbox = null;
                throw;
            }
        }

        public async Task DisposeAsync()
        {
            Output.Current = null;
            if (_sandbox is not null) await _sandbox.DisposeAsync();
        }
    }
}
