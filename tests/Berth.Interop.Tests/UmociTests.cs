using System.Text.Json.Nodes;
using Berth.Interop.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Interop.Tests;

/// <summary>umoci builds an image layout offline; skopeo copies it into Berth; umoci unpacks what Berth serves back.</summary>
[Trait("Category", "Interop")]
public sealed class UmociTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LayoutBuiltByUmoci_CopiedInWithSkopeo_RoundTripsToTheSameFiles()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var layoutPath = Path.Combine(sandbox.Root, "umoci-layout");
        var bundle = Path.Combine(sandbox.Root, "bundle");
        var busybox = Images.RequireBusybox();

        await Umoci(sandbox, "init", "--layout", layoutPath);
        await Umoci(sandbox, "new", "--image", layoutPath + ":v1");
        await Umoci(sandbox, "unpack", "--image", layoutPath + ":v1", bundle);
        var rootfs = Path.Combine(bundle, "rootfs");
        Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
        File.Copy(busybox, Path.Combine(rootfs, "bin", "busybox"));
        File.CreateSymbolicLink(Path.Combine(rootfs, "bin", "sh"), "busybox");
        Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
        File.WriteAllText(Path.Combine(rootfs, "etc", "berth-image"), $"umoci {Guid.NewGuid()}\n");
        await Umoci(sandbox, "repack", "--image", layoutPath + ":v1", bundle);
        await Umoci(sandbox, "config", "--image", layoutPath + ":v1", "--architecture", "amd64", "--os", "linux",
            "--config.env", "PATH=/bin", "--config.cmd", "/bin/busybox", "--config.cmd", "echo", "--config.cmd", "built by umoci");
        await Umoci(sandbox, "gc", "--layout", layoutPath);
        Assert.Contains("v1", (await Umoci(sandbox, "ls", "--layout", layoutPath)).Output.Split('\n'));

        var layout = OciLayout.Open(layoutPath);
        var manifest = layout.Resolve("v1");
        await sandbox.RunAsync(ThirdPartyClient.Skopeo, ["copy", "--dest-tls-verify=false", $"oci:{layoutPath}:v1", $"docker://{berth.Host}/umoci/app:v1"]);

        var served = await berth.GetManifestAsync("umoci/app", "v1");
        Assert.Equal(manifest.Digest, served.Digest);
        foreach (var blob in layout.Closure(manifest).Skip(1))
        {
            Assert.Equal((blob.Digest, blob.Size), await berth.HashBlobAsync("umoci/app", blob.Digest));
        }
        var config = JsonNode.Parse(await berth.GetBlobAsync("umoci/app", (string)JsonNode.Parse(served.Content)!["config"]!["digest"]!))!;
        Assert.Equal(["/bin/busybox", "echo", "built by umoci"], config["config"]!["Cmd"]!.AsArray().Select(c => (string)c!));

        // Back out of Berth into a new layout, and umoci unpacks the very same files.
        var pulledPath = Path.Combine(sandbox.Root, "pulled-layout");
        await sandbox.RunAsync(ThirdPartyClient.Skopeo, ["copy", "--src-tls-verify=false", $"docker://{berth.Host}/umoci/app:v1", $"oci:{pulledPath}:v1"]);
        var unpacked = Path.Combine(sandbox.Root, "unpacked");
        await Umoci(sandbox, "unpack", "--image", pulledPath + ":v1", unpacked);
        Assert.Equal(File.ReadAllBytes(busybox), File.ReadAllBytes(Path.Combine(unpacked, "rootfs", "bin", "busybox")));
        Assert.Equal("busybox", new FileInfo(Path.Combine(unpacked, "rootfs", "bin", "sh")).LinkTarget);
        Assert.Equal(File.ReadAllText(Path.Combine(rootfs, "etc", "berth-image")), File.ReadAllText(Path.Combine(unpacked, "rootfs", "etc", "berth-image")));
    }

    private static Task<CommandResult> Umoci(Sandbox sandbox, params string[] arguments) => sandbox.RunAsync(ThirdPartyClient.Umoci, arguments);
}
