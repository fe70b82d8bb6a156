using System.Formats.Tar;
using Berth.Interop.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Interop.Tests;

/// <summary>containerd's ctr, through a private containerd, pulling from and pushing to Berth with --plain-http.</summary>
[Trait("Category", "Interop")]
public sealed class CtrTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Pull_ThenPushToAnotherRepository_KeepsDigestsForImageAndIndex()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var containerd = await Containerd.StartAsync(sandbox);
        var layout = OciLayout.Create(sandbox.Folder("layout"));
        var single = Images.BusyboxImage(layout, "amd64");
        var amd64 = Images.BusyboxImage(layout, "amd64");
        var arm64 = Images.BusyboxImage(layout, "arm64");
        var index = Images.BuildIndex(layout, [amd64, arm64]);
        await berth.PushAsync(layout, single.Manifest, "ctr/single", "v1");
        await berth.PushAsync(layout, index, "ctr/multi", "v1");

        await containerd.CtrAsync("images", "pull", "--plain-http", $"{berth.Host}/ctr/single:v1");
        await containerd.CtrAsync("images", "pull", "--plain-http", "--all-platforms", $"{berth.Host}/ctr/multi:v1");

        var listed = (await containerd.CtrAsync("images", "ls")).Output;
        Assert.Contains(listed.Split('\n'), l => l.StartsWith($"{berth.Host}/ctr/single:v1 ") && l.Contains(single.Manifest.Digest));
        Assert.Contains(listed.Split('\n'), l => l.StartsWith($"{berth.Host}/ctr/multi:v1 ") && l.Contains(index.Digest));
        foreach (var blob in layout.Closure(single.Manifest).Concat(layout.Closure(index)))
        {
            Assert.Equal((blob.Digest, blob.Size), await containerd.HashContentAsync(blob.Digest));
        }

        await containerd.CtrAsync("images", "tag", $"{berth.Host}/ctr/single:v1", $"{berth.Host}/ctr/single-copy:v2");
        await containerd.CtrAsync("images", "push", "--plain-http", $"{berth.Host}/ctr/single-copy:v2");
        await containerd.CtrAsync("images", "tag", $"{berth.Host}/ctr/multi:v1", $"{berth.Host}/ctr/multi-copy:v2");
        await containerd.CtrAsync("images", "push", "--plain-http", $"{berth.Host}/ctr/multi-copy:v2");

        Assert.Equal(single.Manifest.Digest, (await berth.GetManifestAsync("ctr/single-copy", "v2")).Digest);
        Assert.Equal(index.Digest, (await berth.GetManifestAsync("ctr/multi-copy", "v2")).Digest);
        foreach (var blob in layout.Closure(index).Where(d => !MediaTypes.IsKnownManifest(d.MediaType)))
        {
            Assert.Equal((blob.Digest, blob.Size), await berth.HashBlobAsync("ctr/multi-copy", blob.Digest));
        }
    }

    [Fact]
    public async Task ImportedOciArchive_PushedWithPlainHttp_UploadsEveryBlob()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var containerd = await Containerd.StartAsync(sandbox);
        var layout = OciLayout.Create(sandbox.Folder("layout"));
        var image = Images.BusyboxImage(layout, "amd64", refName: "v1");
        var archive = Path.Combine(sandbox.Root, "image.tar");
        TarFile.CreateFromDirectory(layout.Path, archive, includeBaseDirectory: false);

        await containerd.CtrAsync("images", "import", "--no-unpack", "--base-name", $"{berth.Host}/ctr/imported", archive);
        await containerd.CtrAsync("images", "push", "--plain-http", $"{berth.Host}/ctr/imported:v1");

        var served = await berth.GetManifestAsync("ctr/imported", "v1");
        Assert.Equal(image.Manifest.Digest, served.Digest);
        await berth.WaitForRequestAsync(r => r is { Method: "PUT", Target: "/v2/ctr/imported/manifests/v1" }, "the manifest PUT");
        var requests = berth.Requests();
        foreach (var blob in layout.Closure(image.Manifest).Skip(1))
        {
            Assert.Contains(requests, r => r.Method == "PUT" && r.Status == 201 && r.Target.StartsWith("/v2/ctr/imported/blobs/uploads/")
                && r.Target.Contains("digest=" + blob.Digest));
            Assert.Equal((blob.Digest, blob.Size), await berth.HashBlobAsync("ctr/imported", blob.Digest));
        }
    }
}
