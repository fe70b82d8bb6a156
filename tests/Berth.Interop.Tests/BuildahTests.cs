using System.Text.Json.Nodes;
using Berth.Interop.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Interop.Tests;

/// <summary>buildah (rootful, vfs storage in the sandbox): images from scratch, and manifest lists, pushed to Berth.</summary>
[Trait("Category", "Interop")]
public sealed class BuildahTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ImageBuiltFromScratch_PushedAndPulledBackIntoFreshStorage_KeepsItsDigest()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var builder = Storage.Create(sandbox, "builder");
        var reference = $"{berth.Host}/buildah/app:v1";
        await BuildFromScratchAsync(sandbox, builder, "amd64", reference);

        var digestFile = Path.Combine(sandbox.Root, "pushed.digest");
        await Buildah(sandbox, builder, "push", "--tls-verify=false", "--digestfile", digestFile, reference);

        var pushed = File.ReadAllText(digestFile).Trim();
        var served = await berth.GetManifestAsync("buildah/app", "v1");
        Assert.Equal(pushed, served.Digest);
        var manifest = JsonNode.Parse(served.Content)!;
        foreach (var blob in ContentGraph.Children(manifest))
        {
            Assert.Equal((blob.Digest, blob.Size), await berth.HashBlobAsync("buildah/app", blob.Digest));
        }
        var config = JsonNode.Parse(await berth.GetBlobAsync("buildah/app", (string)manifest["config"]!["digest"]!))!;
        Assert.Equal(["/bin/busybox", "echo", "built by buildah"], config["config"]!["Cmd"]!.AsArray().Select(c => (string)c!));
        Assert.Equal("amd64", (string)config["architecture"]!);

        var puller = Storage.Create(sandbox, "puller");
        await Buildah(sandbox, puller, "pull", "--tls-verify=false", reference);
        var inspected = JsonNode.Parse((await Buildah(sandbox, puller, "inspect", "--type", "image", reference)).Output)!;
        Assert.Equal(pushed, (string)inspected["FromImageDigest"]!);
        Assert.Equal((string)manifest["config"]!["digest"]!, "sha256:" + (string)inspected["FromImageID"]!);
    }

    [Fact]
    public async Task ManifestList_CreatedAddedAndPushedWithAll_ServesEveryPlatform()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var storage = Storage.Create(sandbox, "builder");
        string[] architectures = ["amd64", "arm64"];
        foreach (var architecture in architectures)
        {
            await BuildFromScratchAsync(sandbox, storage, architecture, $"localhost/buildah-{architecture}:v1");
        }
        await Buildah(sandbox, storage, "manifest", "create", "localhost/buildah-list:v1");
        foreach (var architecture in architectures)
        {
            await Buildah(sandbox, storage, "manifest", "add", "--arch", architecture, "--os", "linux", "localhost/buildah-list:v1",
                $"localhost/buildah-{architecture}:v1");
        }

        foreach (var (tag, format, indexType, manifestType) in new[]
        {
            ("oci", "oci", MediaTypes.OciIndex, MediaTypes.OciManifest),
            ("docker", "v2s2", MediaTypes.DockerManifestList, MediaTypes.DockerManifest),
        })
        {
            var digestFile = Path.Combine(sandbox.Root, tag + ".digest");
            await Buildah(sandbox, storage, "manifest", "push", "--all", "--format", format, "--tls-verify=false", "--digestfile", digestFile,
                "localhost/buildah-list:v1", $"docker://{berth.Host}/buildah/list:{tag}");

            var served = await berth.GetManifestAsync("buildah/list", tag);
            Assert.Equal(File.ReadAllText(digestFile).Trim(), served.Digest);
            Assert.Equal(indexType, served.MediaType);
            var children = JsonNode.Parse(served.Content)!["manifests"]!.AsArray();
            Assert.Equal(architectures, children.Select(c => (string)c!["platform"]!["architecture"]!).Order());
            foreach (var child in children)
            {
                var architecture = (string)child!["platform"]!["architecture"]!;
                var image = await berth.GetManifestAsync("buildah/list", (string)child["digest"]!);
                Assert.Equal(manifestType, image.MediaType);
                var manifest = JsonNode.Parse(image.Content)!;
                foreach (var blob in ContentGraph.Children(manifest))
                {
                    Assert.Equal((blob.Digest, blob.Size), await berth.HashBlobAsync("buildah/list", blob.Digest));
                }
                var config = JsonNode.Parse(await berth.GetBlobAsync("buildah/list", (string)manifest["config"]!["digest"]!))!;
                Assert.Equal(architecture, (string)config["architecture"]!);
            }
        }
    }

    /// <summary>buildah from scratch, copy busybox in, set the config, commit: no RUN, so no runtime and no network.</summary>
    private static async Task BuildFromScratchAsync(Sandbox sandbox, Storage storage, string architecture, string imageName)
    {
        var marker = Path.Combine(sandbox.Folder("context"), "marker-" + architecture);
        File.WriteAllText(marker, $"buildah {architecture} {Guid.NewGuid()}\n");
        var container = "working-" + architecture;
        await Buildah(sandbox, storage, "from", "--name", container, "--arch", architecture, "--os", "linux", "scratch");
        await Buildah(sandbox, storage, "copy", container, Images.RequireBusybox(), "/bin/busybox");
        await Buildah(sandbox, storage, "copy", container, marker, "/etc/berth-image");
        await Buildah(sandbox, storage, "config", "--arch", architecture, "--os", "linux", "--env", "PATH=/bin",
            "--cmd", """["/bin/busybox", "echo", "built by buildah"]""", container);
        await Buildah(sandbox, storage, "commit", "--rm", container, imageName);
    }

    private static Task<CommandResult> Buildah(Sandbox sandbox, Storage storage, params string[] arguments) =>
        sandbox.RunAsync(ThirdPartyClient.Buildah, storage.Flags().Concat(arguments));
}
