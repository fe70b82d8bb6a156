using System.Text.Json.Nodes;
using Berth.Interop.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Interop.Tests;

/// <summary>podman (rootful, vfs storage in the sandbox) building from scratch offline, pushing to and pulling from Berth.</summary>
[Trait("Category", "Interop")]
public sealed class PodmanTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ImageBuiltFromScratch_PushedAndPulledBackIntoFreshStorage_KeepsItsDigest()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var builder = Storage.Create(sandbox, "builder");
        var context = BusyboxBuildContext(sandbox, "podman build");
        var reference = $"{berth.Host}/podman/app:v1";

        await Podman(sandbox, builder, "build", "--pull=never", "-t", reference, "-f", Path.Combine(context, "Containerfile"), context);
        var digestFile = Path.Combine(sandbox.Root, "pushed.digest");
        await Podman(sandbox, builder, "push", "--tls-verify=false", "--digestfile", digestFile, reference);

        var pushed = File.ReadAllText(digestFile).Trim();
        var served = await berth.GetManifestAsync("podman/app", "v1");
        Assert.Equal(pushed, served.Digest);
        var manifest = JsonNode.Parse(served.Content)!;
        foreach (var blob in ContentGraph.Children(manifest))
        {
            Assert.Equal((blob.Digest, blob.Size), await berth.HashBlobAsync("podman/app", blob.Digest));
        }
        var config = JsonNode.Parse(await berth.GetBlobAsync("podman/app", (string)manifest["config"]!["digest"]!))!;
        Assert.Equal(["/bin/busybox", "echo", "built by podman"], config["config"]!["Cmd"]!.AsArray().Select(c => (string)c!));

        // A second, empty storage pulls it back by tag and by digest.
        var puller = Storage.Create(sandbox, "puller");
        await Podman(sandbox, puller, "pull", "--tls-verify=false", reference);
        await Podman(sandbox, puller, "pull", "--tls-verify=false", $"{berth.Host}/podman/app@{pushed}");
        var inspected = JsonNode.Parse((await Podman(sandbox, puller, "image", "inspect", reference)).Output)![0]!;
        Assert.Equal(pushed, (string)inspected["Digest"]!);
        Assert.Contains($"{berth.Host}/podman/app@{pushed}", inspected["RepoDigests"]!.AsArray().Select(d => (string)d!));
        Assert.Equal((string)manifest["config"]!["digest"]!, "sha256:" + (string)inspected["Id"]!);
    }

    [Fact]
    public async Task PushInDockerFormat_IsServedAsDockerSchema2_AndPullsBack()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var storage = Storage.Create(sandbox, "storage");
        var context = BusyboxBuildContext(sandbox, "podman docker format");
        var local = "localhost/podman-docker:v1";
        await Podman(sandbox, storage, "build", "--pull=never", "--format", "docker", "-t", local, "-f", Path.Combine(context, "Containerfile"), context);

        var digestFile = Path.Combine(sandbox.Root, "pushed.digest");
        await Podman(sandbox, storage, "push", "--tls-verify=false", "--format", "v2s2", "--digestfile", digestFile, local,
            $"docker://{berth.Host}/podman/docker:v1");

        var served = await berth.GetManifestAsync("podman/docker", "v1");
        Assert.Equal(File.ReadAllText(digestFile).Trim(), served.Digest);
        Assert.Equal(MediaTypes.DockerManifest, served.MediaType);
        Assert.Equal(MediaTypes.DockerConfig, (string)JsonNode.Parse(served.Content)!["config"]!["mediaType"]!);

        var puller = Storage.Create(sandbox, "puller");
        await Podman(sandbox, puller, "pull", "--tls-verify=false", $"{berth.Host}/podman/docker:v1");
        var inspected = JsonNode.Parse((await Podman(sandbox, puller, "image", "inspect", $"{berth.Host}/podman/docker:v1")).Output)![0]!;
        Assert.Equal(served.Digest, (string)inspected["Digest"]!);
    }

    [Fact]
    public async Task MultiArchIndex_PulledForEachArchitecture()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var layout = OciLayout.Create(sandbox.Folder("layout"));
        var amd64 = Images.BusyboxImage(layout, "amd64");
        var arm64 = Images.BusyboxImage(layout, "arm64");
        var index = Images.BuildIndex(layout, [amd64, arm64]);
        await berth.PushAsync(layout, index, "podman/multi", "v1");

        foreach (var image in new[] { amd64, arm64 })
        {
            var storage = Storage.Create(sandbox, image.Architecture);
            await Podman(sandbox, storage, "pull", "--tls-verify=false", "--arch", image.Architecture, $"{berth.Host}/podman/multi:v1");
            var inspected = JsonNode.Parse((await Podman(sandbox, storage, "image", "inspect", $"{berth.Host}/podman/multi:v1")).Output)![0]!;
            Assert.Equal(image.Architecture, (string)inspected["Architecture"]!);
            Assert.Equal(image.Config.Digest, "sha256:" + (string)inspected["Id"]!);
            Assert.Contains($"{berth.Host}/podman/multi@{index.Digest}", inspected["RepoDigests"]!.AsArray().Select(d => (string)d!));
        }
    }

    [Fact]
    public async Task Search_ListsRepositoriesFromTheCatalogAndTheirTags()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var layout = OciLayout.Create(sandbox.Folder("layout"));
        var image = Images.BusyboxImage(layout, "amd64");
        await berth.PushAsync(layout, image.Manifest, "search/alpha", "v1");
        await berth.PushAsync(layout, image.Manifest, "search/alpha", "v2");
        await berth.PushAsync(layout, image.Manifest, "search/beta", "latest");
        var storage = Storage.Create(sandbox, "search");

        var repositories = (await Podman(sandbox, storage, "search", "--tls-verify=false", "--format", "{{.Name}}", $"{berth.Host}/")).Output;
        Assert.Equal([$"{berth.Host}/search/alpha", $"{berth.Host}/search/beta"],
            repositories.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
        // podman 4.3 ignores --format with --list-tags: a NAME/TAG table.
        var table = (await Podman(sandbox, storage, "search", "--tls-verify=false", "--list-tags", $"{berth.Host}/search/alpha")).Output;
        var rows = table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.All(rows, r => Assert.Equal($"{berth.Host}/search/alpha", r[0]));
        Assert.Equal(["v1", "v2"], rows.Select(r => r[1]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task InsecureRegistryInRegistriesConf_LetsPodmanAndSkopeoUsePlainHttpWithoutFlags()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var storage = Storage.Create(sandbox, "storage");
        var context = BusyboxBuildContext(sandbox, "registries.conf");
        var reference = $"{berth.Host}/podman/conf:v1";
        await Podman(sandbox, storage, "build", "--pull=never", "-t", reference, "-f", Path.Combine(context, "Containerfile"), context);

        // Without the flag, and without the registries.conf entry, the clients insist on HTTPS.
        var refused = await sandbox.TryRunAsync(ThirdPartyClient.Podman, [.. storage.Flags(), "push", reference]);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("http: server gave HTTP response to HTTPS client", refused.Error);

        sandbox.AllowPlainHttp(berth.Host);
        await Podman(sandbox, storage, "push", reference);
        var puller = Storage.Create(sandbox, "puller");
        await Podman(sandbox, puller, "pull", reference);
        var raw = await sandbox.RunAsync(ThirdPartyClient.Skopeo, ["inspect", "--raw", $"docker://{reference}"]);
        Assert.Equal((await berth.GetManifestAsync("podman/conf", "v1")).Content, System.Text.Encoding.UTF8.GetBytes(raw.Output));
    }

    /// <summary>A build context whose Containerfile needs no RUN (so no runtime and no network): FROM scratch, COPY busybox.</summary>
    internal static string BusyboxBuildContext(Sandbox sandbox, string message)
    {
        var context = sandbox.Folder("context");
        File.Copy(Images.RequireBusybox(), Path.Combine(context, "busybox"), overwrite: true);
        File.WriteAllText(Path.Combine(context, "marker"), message + " " + Guid.NewGuid() + "\n");
        File.WriteAllText(Path.Combine(context, "Containerfile"), $$"""
            FROM scratch
            COPY busybox /bin/busybox
            COPY marker /etc/berth-image
            ENV PATH=/bin
            CMD ["/bin/busybox", "echo", "built by podman"]
            """);
        return context;
    }

    private static Task<CommandResult> Podman(Sandbox sandbox, Storage storage, params string[] arguments) =>
        sandbox.RunAsync(ThirdPartyClient.Podman, storage.Flags().Concat(arguments));
}

/// <summary>A containers/storage root for podman or buildah inside the sandbox (vfs: no kernel mounts needed).</summary>
public sealed record Storage(string Root, string RunRoot)
{
    public static Storage Create(Sandbox sandbox, string name) =>
        new(sandbox.Folder($"storage-{name}"), sandbox.Folder($"run-{name}"));

    public string[] Flags() => ["--root", Root, "--runroot", RunRoot, "--storage-driver", "vfs"];
}
