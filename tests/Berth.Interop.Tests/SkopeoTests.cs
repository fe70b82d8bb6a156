using System.Net;
using System.Text.Json.Nodes;
using Berth.Interop.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Interop.Tests;

/// <summary>skopeo (containers/image) against Berth over plain HTTP: copy in and out, inspect, list-tags, mount, delete.</summary>
[Trait("Category", "Interop")]
public sealed class SkopeoTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SingleArchImage_CopiedInFromOciLayoutAndBackOut_KeepsEveryDigest()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var source = OciLayout.Create(sandbox.Folder("source"));
        var image = Images.BusyboxImage(source, "amd64", refName: "v1");

        await Skopeo(sandbox, "copy", "--dest-tls-verify=false", $"oci:{source.Path}:v1", $"docker://{berth.Host}/skopeo/single:v1");

        var served = await berth.GetManifestAsync("skopeo/single", "v1");
        Assert.Equal(image.Manifest.Digest, served.Digest);
        Assert.Equal(MediaTypes.OciManifest, served.MediaType);
        Assert.Equal(source.ReadBlob(image.Manifest.Digest), served.Content);
        foreach (var blob in source.Closure(image.Manifest).Skip(1))
        {
            Assert.Equal((blob.Digest, blob.Size), await berth.HashBlobAsync("skopeo/single", blob.Digest));
        }

        var copy = OciLayout.Create(sandbox.Folder("copy"));
        await Skopeo(sandbox, "copy", "--src-tls-verify=false", $"docker://{berth.Host}/skopeo/single:v1", $"oci:{copy.Path}:v1");

        Assert.Equal(image.Manifest.Digest, copy.Resolve("v1").Digest);
        AssertSameBlobs(source, copy, image.Manifest);
    }

    [Fact]
    public async Task MultiArchIndex_CopiedWithAll_KeepsIndexAndEveryChildDigest()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var source = OciLayout.Create(sandbox.Folder("source"));
        var amd64 = Images.BusyboxImage(source, "amd64");
        var arm64 = Images.BusyboxImage(source, "arm64");
        var index = Images.BuildIndex(source, [amd64, arm64], refName: "multi");

        await Skopeo(sandbox, "copy", "--all", "--dest-tls-verify=false", $"oci:{source.Path}:multi", $"docker://{berth.Host}/skopeo/multi:v1");

        var served = await berth.GetManifestAsync("skopeo/multi", "v1");
        Assert.Equal(index.Digest, served.Digest);
        Assert.Equal(MediaTypes.OciIndex, served.MediaType);
        foreach (var child in new[] { amd64, arm64 })
        {
            Assert.Equal(child.Manifest.Digest, (await berth.GetManifestAsync("skopeo/multi", child.Manifest.Digest)).Digest);
        }

        var copy = OciLayout.Create(sandbox.Folder("copy"));
        await Skopeo(sandbox, "copy", "--all", "--src-tls-verify=false", $"docker://{berth.Host}/skopeo/multi:v1", $"oci:{copy.Path}:multi");
        Assert.Equal(index.Digest, copy.Resolve("multi").Digest);
        AssertSameBlobs(source, copy, index);

        // Without --all, skopeo resolves the index to the platform asked for.
        var arm = OciLayout.Create(sandbox.Folder("arm"));
        await Skopeo(sandbox, "--override-arch", "arm64", "copy", "--src-tls-verify=false", $"docker://{berth.Host}/skopeo/multi:v1", $"oci:{arm.Path}:arm");
        Assert.Equal(arm64.Manifest.Digest, arm.Resolve("arm").Digest);
    }

    [Fact]
    public async Task InspectRawAndListTags_ShowExactlyWhatWasPushed()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var source = OciLayout.Create(sandbox.Folder("source"));
        var image = Images.BusyboxImage(source, "amd64", refName: "v1");
        foreach (var tag in new[] { "v1", "v1.0", "latest" })
        {
            await Skopeo(sandbox, "copy", "--dest-tls-verify=false", $"oci:{source.Path}:v1", $"docker://{berth.Host}/skopeo/tags:{tag}");
        }

        var raw = await SkopeoBytes(sandbox, "inspect", "--raw", "--tls-verify=false", $"docker://{berth.Host}/skopeo/tags:v1.0");
        Assert.Equal(source.ReadBlob(image.Manifest.Digest), raw);
        var config = await SkopeoBytes(sandbox, "inspect", "--raw", "--config", "--tls-verify=false", $"docker://{berth.Host}/skopeo/tags:latest");
        Assert.Equal(source.ReadBlob(image.Config.Digest), config);

        var inspected = JsonNode.Parse((await Skopeo(sandbox, "inspect", "--tls-verify=false", $"docker://{berth.Host}/skopeo/tags:v1")).Output)!;
        Assert.Equal(image.Manifest.Digest, (string)inspected["Digest"]!);
        Assert.Equal("amd64", (string)inspected["Architecture"]!);
        Assert.Equal(["latest", "v1", "v1.0"], inspected["RepoTags"]!.AsArray().Select(t => (string)t!).Order(StringComparer.Ordinal));

        var listed = JsonNode.Parse((await Skopeo(sandbox, "list-tags", "--tls-verify=false", $"docker://{berth.Host}/skopeo/tags")).Output)!;
        Assert.Equal($"{berth.Host}/skopeo/tags", (string)listed["Repository"]!);
        Assert.Equal(["latest", "v1", "v1.0"], listed["Tags"]!.AsArray().Select(t => (string)t!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task CopyBetweenRepositories_MountsLayersInsteadOfUploadingThem()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var source = OciLayout.Create(sandbox.Folder("source"));
        var amd64 = Images.BusyboxImage(source, "amd64");
        var arm64 = Images.BusyboxImage(source, "arm64");
        var index = Images.BuildIndex(source, [amd64, arm64], refName: "multi");
        await Skopeo(sandbox, "copy", "--all", "--dest-tls-verify=false", $"oci:{source.Path}:multi", $"docker://{berth.Host}/team-a/app:v1");

        await Skopeo(sandbox, "copy", "--all", "--src-tls-verify=false", "--dest-tls-verify=false",
            $"docker://{berth.Host}/team-a/app:v1", $"docker://{berth.Host}/team-b/app:v1");

        Assert.Equal(index.Digest, (await berth.GetManifestAsync("team-b/app", "v1")).Digest);
        await berth.WaitForRequestAsync(r => r is { Method: "PUT", Target: "/v2/team-b/app/manifests/v1" }, "the tag PUT into team-b/app");
        var requests = berth.Requests();
        foreach (var layer in new[] { amd64, arm64 }.SelectMany(i => i.Layers))
        {
            Assert.Contains(requests, r => r.Method == "POST" && r.Status == 201 && r.Target.StartsWith("/v2/team-b/app/blobs/uploads/?")
                && r.Target.Contains("mount=" + layer.Descriptor.Digest) && r.Target.Contains("from=team-a/app"));
            Assert.Equal((layer.Descriptor.Digest, layer.Descriptor.Size), await berth.HashBlobAsync("team-b/app", layer.Descriptor.Digest));
        }
        // Nothing was uploaded into team-b except the small configs, which containers/image never mounts.
        var uploadedDigests = requests.Where(r => r.Method == "PUT" && r.Target.StartsWith("/v2/team-b/app/blobs/uploads/")).Select(r => r.Target).ToList();
        Assert.Equal(2, uploadedDigests.Count);
        Assert.All(new[] { amd64, arm64 }, i => Assert.Contains(uploadedDigests, t => t.EndsWith("digest=" + i.Config.Digest)));
    }

    [Fact]
    public async Task DeleteByDigest_RemovesTheManifestAndItsTags_ButNotOtherImages()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var source = OciLayout.Create(sandbox.Folder("source"));
        var doomed = Images.BusyboxImage(source, "amd64", refName: "doomed");
        var kept = Images.BusyboxImage(source, "amd64", refName: "kept");
        await Skopeo(sandbox, "copy", "--dest-tls-verify=false", $"oci:{source.Path}:doomed", $"docker://{berth.Host}/skopeo/delete:old");
        await Skopeo(sandbox, "copy", "--dest-tls-verify=false", $"oci:{source.Path}:kept", $"docker://{berth.Host}/skopeo/delete:new");

        await Skopeo(sandbox, "delete", "--tls-verify=false", $"docker://{berth.Host}/skopeo/delete@{doomed.Manifest.Digest}");

        Assert.Equal(HttpStatusCode.NotFound, await berth.ManifestStatusAsync("skopeo/delete", doomed.Manifest.Digest));
        Assert.Equal(HttpStatusCode.NotFound, await berth.ManifestStatusAsync("skopeo/delete", "old"));
        Assert.Equal(kept.Manifest.Digest, (await berth.GetManifestAsync("skopeo/delete", "new")).Digest);
        var listed = JsonNode.Parse((await Skopeo(sandbox, "list-tags", "--tls-verify=false", $"docker://{berth.Host}/skopeo/delete")).Output)!;
        Assert.Equal(["new"], listed["Tags"]!.AsArray().Select(t => (string)t!));
        var gone = await sandbox.TryRunAsync(ThirdPartyClient.Skopeo, ["inspect", "--raw", "--tls-verify=false", $"docker://{berth.Host}/skopeo/delete:old"]);
        Assert.NotEqual(0, gone.ExitCode);
        Assert.Contains("manifest unknown", gone.Error);
    }

    [Fact]
    public async Task DockerSchema2Conversion_IsStoredAndServedWithDockerMediaTypes()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var source = OciLayout.Create(sandbox.Folder("source"));
        var image = Images.BusyboxImage(source, "amd64", refName: "v1");

        await Skopeo(sandbox, "copy", "--format", "v2s2", "--dest-tls-verify=false", $"oci:{source.Path}:v1", $"docker://{berth.Host}/skopeo/docker:v1");

        var served = await berth.GetManifestAsync("skopeo/docker", "v1");
        Assert.Equal(MediaTypes.DockerManifest, served.MediaType);
        var manifest = JsonNode.Parse(served.Content)!;
        Assert.Equal(MediaTypes.DockerConfig, (string)manifest["config"]!["mediaType"]!);
        Assert.Equal(image.Config.Digest, (string)manifest["config"]!["digest"]!);
        Assert.Equal(MediaTypes.DockerLayerGzip, (string)manifest["layers"]![0]!["mediaType"]!);
        Assert.Equal(image.Layers[0].Descriptor.Digest, (string)manifest["layers"]![0]!["digest"]!);

        var raw = await SkopeoBytes(sandbox, "inspect", "--raw", "--tls-verify=false", $"docker://{berth.Host}/skopeo/docker@{served.Digest}");
        Assert.Equal(served.Content, raw);
    }

    [Fact]
    public async Task ZstdRecompression_IsStoredAndCopiedBackOutUnchanged()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var source = OciLayout.Create(sandbox.Folder("source"));
        var image = Images.BusyboxImage(source, "amd64", refName: "v1");

        await Skopeo(sandbox, "copy", "--dest-compress-format", "zstd", "--dest-tls-verify=false", $"oci:{source.Path}:v1",
            $"docker://{berth.Host}/skopeo/zstd:v1");

        var served = await berth.GetManifestAsync("skopeo/zstd", "v1");
        var layer = JsonNode.Parse(served.Content)!["layers"]![0]!;
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+zstd", (string)layer["mediaType"]!);
        Assert.NotEqual(image.Layers[0].Descriptor.Digest, (string)layer["digest"]!);
        var copy = OciLayout.Create(sandbox.Folder("copy"));
        await Skopeo(sandbox, "copy", "--src-tls-verify=false", $"docker://{berth.Host}/skopeo/zstd:v1", $"oci:{copy.Path}:v1");
        Assert.Equal(served.Digest, copy.Resolve("v1").Digest);
        Assert.Equal(served.Content, copy.ReadBlob(served.Digest));
        Assert.Equal((string)layer["digest"]!, ContentDigest.Sha256File(copy.BlobPath((string)layer["digest"]!)));
    }

    [Fact]
    public async Task NonDistributableLayer_IsNotUploaded_AndTheManifestIsAccepted()
    {
        await using var sandbox = Sandbox.Create(output);
        var berth = await BerthServer.StartAsync(sandbox);
        var source = OciLayout.Create(sandbox.Folder("source"));
        var local = Images.BusyboxLayer(source, "on top of a foreign layer");
        // A layer that lives elsewhere (as Windows base layers did): only its descriptor, with URLs, is in the manifest.
        var foreign = new Layer(new Descriptor("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            ContentDigest.Sha256(System.Text.Encoding.UTF8.GetBytes("not here")), 123456), ContentDigest.Sha256(System.Text.Encoding.UTF8.GetBytes("not here either")));
        var image = Images.BuildImage(source, "amd64", [foreign, local]);
        var manifest = source.ReadJsonBlob(image.Manifest.Digest);
        manifest["layers"]![0]!["urls"] = new JsonArray("https://example.invalid/base-layer.tar.gz");
        var withUrls = source.WriteJson(manifest, MediaTypes.OciManifest);
        source.Tag(withUrls, "v1");

        await Skopeo(sandbox, "copy", "--dest-tls-verify=false", $"oci:{source.Path}:v1", $"docker://{berth.Host}/skopeo/foreign:v1");

        var served = await berth.GetManifestAsync("skopeo/foreign", "v1");
        Assert.Equal(withUrls.Digest, served.Digest);
        await berth.WaitForRequestAsync(r => r is { Method: "PUT", Target: "/v2/skopeo/foreign/manifests/v1" }, "the manifest PUT");
        Assert.DoesNotContain(berth.Requests(), r => r.Target.Contains(foreign.Descriptor.Digest));
        Assert.Equal((local.Descriptor.Digest, local.Descriptor.Size), await berth.HashBlobAsync("skopeo/foreign", local.Descriptor.Digest));
    }

    private static Task<CommandResult> Skopeo(Sandbox sandbox, params string[] arguments) => sandbox.RunAsync(ThirdPartyClient.Skopeo, arguments);

    private static async Task<byte[]> SkopeoBytes(Sandbox sandbox, params string[] arguments)
    {
        using var stdout = new MemoryStream();
        await sandbox.RunAsync(ThirdPartyClient.Skopeo, arguments, stdout: stdout);
        return stdout.ToArray();
    }

    /// <summary>Every blob reachable from <paramref name="root"/> has identical bytes in both layouts.</summary>
    internal static void AssertSameBlobs(OciLayout expected, OciLayout actual, Descriptor root)
    {
        foreach (var blob in expected.Closure(root))
        {
            Assert.True(File.Exists(actual.BlobPath(blob.Digest)), $"{blob.Digest} ({blob.MediaType}) is missing from {actual.Path}");
            Assert.Equal(blob.Digest, ContentDigest.Sha256File(actual.BlobPath(blob.Digest)));
            Assert.Equal(blob.Size, new FileInfo(actual.BlobPath(blob.Digest)).Length);
        }
    }
}
