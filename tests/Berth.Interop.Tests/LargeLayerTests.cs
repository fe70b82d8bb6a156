using System.Text.Json.Nodes;
using Berth.Interop.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Interop.Tests;

/// <summary>A 64 MiB random layer uploaded and downloaded by skopeo, ctr and podman, its digest checked at every step.</summary>
[Trait("Category", "Interop")]
public sealed class LargeLayerTests(ITestOutputHelper output)
{
    private const long LayerBytes = 64L * 1024 * 1024;

    [Fact]
    public async Task RandomLayerOf64MiB_ThroughSkopeoCtrAndPodman_KeepsItsDigest()
    {
        await using var sandbox = Sandbox.Create(output);
        var first = await BerthServer.StartAsync(sandbox);
        // ctr would mount the layer instead of uploading it to the same registry, so it pushes to a second one.
        var second = await BerthServer.StartAsync(sandbox);
        var layout = OciLayout.Create(sandbox.Folder("layout"));
        var layer = Images.RandomLayer(layout, LayerBytes);
        Assert.True(layer.Descriptor.Size > LayerBytes, $"the layer is {layer.Descriptor.Size} bytes");
        var image = Images.BuildImage(layout, "amd64", [layer], refName: "big");
        var digest = layer.Descriptor.Digest;

        // skopeo uploads it.
        await sandbox.RunAsync(ThirdPartyClient.Skopeo, ["copy", "--dest-tls-verify=false", $"oci:{layout.Path}:big", $"docker://{first.Host}/big/skopeo:v1"],
            timeout: TimeSpan.FromMinutes(4));
        Assert.Equal(image.Manifest.Digest, (await first.GetManifestAsync("big/skopeo", "v1")).Digest);
        Assert.Equal((digest, layer.Descriptor.Size), await first.HashBlobAsync("big/skopeo", digest));

        // ctr downloads it, then uploads it to the second registry.
        var containerd = await Containerd.StartAsync(sandbox);
        await containerd.CtrAsync("images", "pull", "--plain-http", $"{first.Host}/big/skopeo:v1");
        Assert.Equal((digest, layer.Descriptor.Size), await containerd.HashContentAsync(digest));
        await containerd.CtrAsync("images", "tag", $"{first.Host}/big/skopeo:v1", $"{second.Host}/big/ctr:v1");
        await containerd.CtrAsync("images", "push", "--plain-http", $"{second.Host}/big/ctr:v1");
        Assert.Equal(image.Manifest.Digest, (await second.GetManifestAsync("big/ctr", "v1")).Digest);
        await second.WaitForRequestAsync(r => r is { Method: "PUT", Status: 201 } && r.Target.StartsWith("/v2/big/ctr/blobs/uploads/")
            && r.Target.EndsWith("digest=" + digest), "ctr's upload of the layer");
        Assert.Equal((digest, layer.Descriptor.Size), await second.HashBlobAsync("big/ctr", digest));

        // skopeo downloads what ctr uploaded.
        var pulled = OciLayout.Create(sandbox.Folder("pulled"));
        await sandbox.RunAsync(ThirdPartyClient.Skopeo, ["copy", "--src-tls-verify=false", $"docker://{second.Host}/big/ctr:v1", $"oci:{pulled.Path}:v1"],
            timeout: TimeSpan.FromMinutes(4));
        Assert.Equal(image.Manifest.Digest, pulled.Resolve("v1").Digest);
        Assert.Equal(digest, ContentDigest.Sha256File(pulled.BlobPath(digest)));

        // podman downloads it too, and checks the uncompressed layer against the config's diff ID.
        var storage = Storage.Create(sandbox, "podman");
        await sandbox.RunAsync(ThirdPartyClient.Podman, [.. storage.Flags(), "pull", "--tls-verify=false", $"{second.Host}/big/ctr:v1"],
            timeout: TimeSpan.FromMinutes(4));
        var inspected = JsonNode.Parse((await sandbox.RunAsync(ThirdPartyClient.Podman, [.. storage.Flags(), "image", "inspect", $"{second.Host}/big/ctr:v1"])).Output)![0]!;
        Assert.Equal(image.Manifest.Digest, (string)inspected["Digest"]!);
        Assert.Equal([layer.DiffId], inspected["RootFS"]!["Layers"]!.AsArray().Select(l => (string)l!));
    }
}
