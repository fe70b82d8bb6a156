using Berth.Client.Content;
using Berth.Client.Tests.Support;

namespace Berth.Client.Tests;

/// <summary>
/// <c>berth copy</c> between Berth and Distribution and within one registry: every platform of an
/// index arrives, digests do not change, and what the target has is skipped.
/// </summary>
public sealed class CopyTests(BerthRegistryFixture berth, DistributionRegistryFixture distribution)
    : IClassFixture<BerthRegistryFixture>, IClassFixture<DistributionRegistryFixture>
{
    [Fact]
    public async Task MultiPlatformImage_CopiesToDistributionAndBack_WithIdenticalDigests()
    {
        using var cli = new CliRunner();
        using var files = new TemporaryFolder();
        var index = TestImages.WriteLayout(files.Sub("layout"), "v1",
            [new Platform("linux", "amd64"), new Platform("linux", "arm64", "v8"), new Platform("windows", "amd64")], seed: 40);
        var name = TestRegistryExtensions.UniqueRepository("copy/image");
        Assert.Equal(0, (await cli.RunAsync("push", $"{berth.Host}/{name}:v1", files.Sub("layout"))).ExitCode);

        var there = await cli.RunAsync("copy", $"{berth.Host}/{name}:v1", $"{distribution.Host}/{name}", "--output", "json");
        Assert.True(there.ExitCode == 0, there.ToString());
        Assert.Equal(index.Digest.ToString(), there.Json.GetProperty("digest").GetString());
        Assert.Equal(4, there.Json.GetProperty("manifests").GetInt32());
        Assert.Equal(6, there.Json.GetProperty("blobsCopied").GetInt32());

        var again = await cli.RunAsync("copy", $"{berth.Host}/{name}:v1", $"{distribution.Host}/{name}", "--output", "json");
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(0, again.Json.GetProperty("blobsCopied").GetInt32());

        var back = await cli.RunAsync("copy", $"{distribution.Host}/{name}:v1", $"{berth.Host}/{name}-back:v2", "--output", "json");
        Assert.True(back.ExitCode == 0, back.ToString());
        Assert.Equal(index.Digest.ToString(), back.Json.GetProperty("digest").GetString());

        using var client = berth.NewClient();
        var copied = await client.Repository($"{name}-back").GetManifestAsync("v2");
        Assert.Equal(index.Digest, copied.Digest);
        Assert.Equal(index.Bytes, copied.Manifest.Bytes);
    }

    [Fact]
    public async Task WithinOneRegistry_BlobsAreMounted()
    {
        using var cli = new CliRunner();
        using var client = berth.NewClient();
        var name = TestRegistryExtensions.UniqueRepository("copy/mount");
        var image = await TestImages.PushImageAsync(client.Repository(name), new Platform("linux", "amd64"), 1);
        await client.Repository(name).PutManifestAsync("v1", image);

        var copied = await cli.RunAsync("copy", $"{berth.Host}/{name}:v1", $"{berth.Host}/{name}-mounted", "--output", "json");
        Assert.True(copied.ExitCode == 0, copied.ToString());
        Assert.Equal(2, copied.Json.GetProperty("blobsMounted").GetInt32());
        Assert.Equal(image.Digest, (await client.Repository($"{name}-mounted").GetManifestAsync("v1")).Digest);
    }
}
