using Berth.Client.Content;
using Berth.Client.Tests.Support;
using Berth.Oci.Digests;

namespace Berth.Client.Tests;

/// <summary>
/// Images and artifacts through the CLI and back, against each registry: what comes back is byte for
/// byte what went in, and the digests the registry reports are the ones computed locally.
/// </summary>
public abstract class RoundTripTests(ITestRegistry registry)
{
    [Fact]
    public async Task Image_PushedFromLayout_PullsBackIntoLayout_WithIdenticalDigests()
    {
        using var cli = new CliRunner();
        using var files = new TemporaryFolder();
        var source = files.Sub("source");
        var index = TestImages.WriteLayout(source, "v1", [new Platform("linux", "amd64"), new Platform("linux", "arm64", "v8")], seed: 10);
        var reference = $"{registry.Host}/{TestRegistryExtensions.UniqueRepository("roundtrip/image")}:v1";

        var pushed = await cli.RunAsync("push", reference, source, "--output", "json");
        Assert.True(pushed.ExitCode == 0, pushed.ToString());
        Assert.Equal(index.Digest.ToString(), pushed.Json.GetProperty("digest").GetString());

        var target = files.Sub("pulled");
        var pulled = await cli.RunAsync("pull", reference, "--layout", target, "--output", "json");
        Assert.True(pulled.ExitCode == 0, pulled.ToString());
        Assert.Equal(index.Digest.ToString(), pulled.Json.GetProperty("digest").GetString());
        Assert.Equal(3, pulled.Json.GetProperty("manifests").GetInt32());

        // Every blob of the source layout is in the pulled one, with the same bytes.
        var sourceBlobs = Directory.GetFiles(Path.Combine(source, "blobs", "sha256")).Select(Path.GetFileName).Order().ToList();
        var pulledBlobs = Directory.GetFiles(Path.Combine(target, "blobs", "sha256")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(sourceBlobs, pulledBlobs);
        foreach (var blob in sourceBlobs)
        {
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(source, "blobs", "sha256", blob!)),
                await File.ReadAllBytesAsync(Path.Combine(target, "blobs", "sha256", blob!)));
        }
        Assert.Equal("v1", OciImageLayout.Open(target).Entries.Single()["annotations"]![OciImageLayout.RefNameAnnotation]!.GetValue<string>());

        // The registry names the index by the digest we computed.
        using var client = registry.NewClient();
        var head = await client.Repository(RepositoryOf(reference)).HeadManifestAsync("v1");
        Assert.Equal(index.Digest.ToString(), head!.Digest);
    }

    [Fact]
    public async Task Artifact_PushedFromFiles_PullsBackAsTheSameFiles()
    {
        using var cli = new CliRunner();
        using var files = new TemporaryFolder();
        var readme = files.File("in/readme.md", "# hello\n"u8.ToArray());
        var data = files.File("in/data.bin", RandomBytes(300_000, 3));
        var reference = $"{registry.Host}/{TestRegistryExtensions.UniqueRepository("roundtrip/artifact")}:v1";

        var pushed = await cli.RunAsync("push", reference, readme + ":text/markdown", data, "--artifact-type", "application/x.berth.test",
            "--annotation", "org.opencontainers.image.description=test", "--output", "json");
        Assert.True(pushed.ExitCode == 0, pushed.ToString());

        var pulled = await cli.RunAsync("pull", reference, "--dir", files.Sub("out"), "--output", "json");
        Assert.True(pulled.ExitCode == 0, pulled.ToString());
        Assert.Equal(pushed.Json.GetProperty("digest").GetString(), pulled.Json.GetProperty("digest").GetString());
        Assert.Equal("application/x.berth.test", pulled.Json.GetProperty("artifactType").GetString());
        Assert.Equal(await File.ReadAllBytesAsync(readme), await File.ReadAllBytesAsync(files.Sub("out/readme.md")));
        Assert.Equal(await File.ReadAllBytesAsync(data), await File.ReadAllBytesAsync(files.Sub("out/data.bin")));

        var manifest = await cli.RunAsync("manifest", "get", reference, "--output", "json");
        Assert.Equal(pushed.Json.GetProperty("digest").GetString(), manifest.Json.GetProperty("digest").GetString());
        Assert.Equal("text/markdown", manifest.Json.GetProperty("manifest").GetProperty("layers")[0].GetProperty("mediaType").GetString());
    }

    [Fact]
    public async Task LargeBlob_GoesUpInChunks_AndComesBackVerified()
    {
        using var client = registry.NewClient(o => o with { MonolithicUploadLimit = 0, ChunkSize = 256 * 1024 });
        var repository = client.Repository(TestRegistryExtensions.UniqueRepository("roundtrip/chunks"));
        var content = RandomBytes(1_000_000, 7);
        var digest = Digest.Compute(DigestAlgorithm.Sha256, content);

        var pushed = await repository.PushBlobAsync(new MemoryStream(content), digest, content.Length);
        Assert.Equal(BlobPushOutcome.Uploaded, pushed.Outcome);
        Assert.Equal(content.Length, await repository.GetBlobSizeAsync(digest));

        using var back = new MemoryStream();
        await repository.PullBlobAsync(digest, back, content.Length);
        Assert.Equal(content, back.ToArray());

        var again = await repository.PushBlobAsync(new MemoryStream(content), digest, content.Length);
        Assert.Equal(BlobPushOutcome.AlreadyPresent, again.Outcome);
    }

    [Fact]
    public async Task Attach_ThenReferrers_ListsTheArtifact_ThroughApiOrTagSchema()
    {
        using var cli = new CliRunner();
        using var files = new TemporaryFolder();
        using var client = registry.NewClient();
        var name = TestRegistryExtensions.UniqueRepository("roundtrip/referrers");
        var subject = await TestImages.PushImageAsync(client.Repository(name), new Platform("linux", "amd64"), seed: 5);
        var subjectReference = $"{registry.Host}/{name}@{subject.Digest}";
        var signature = files.File("sig.json", "{\"signed\":true}"u8.ToArray());

        var first = await cli.RunAsync("attach", subjectReference, signature, "--artifact-type", "application/x.signature", "--output", "json");
        Assert.True(first.ExitCode == 0, first.ToString());
        var second = await cli.RunAsync("attach", subjectReference, "--artifact-type", "application/x.sbom", "--output", "json");
        Assert.True(second.ExitCode == 0, second.ToString());

        var listed = await cli.RunAsync("referrers", subjectReference, "--output", "json");
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.Equal(registry.HasReferrersApi ? "api" : "tagSchema", listed.Json.GetProperty("source").GetString());
        var digests = listed.Json.GetProperty("referrers").EnumerateArray().Select(r => r.GetProperty("digest").GetString()).ToHashSet();
        Assert.Contains(first.Json.GetProperty("digest").GetString(), digests);
        Assert.Contains(second.Json.GetProperty("digest").GetString(), digests);

        var filtered = await client.Repository(name).GetReferrersAsync(subject.Digest, "application/x.sbom");
        Assert.Equal(second.Json.GetProperty("digest").GetString(), Assert.Single(filtered.Referrers).Digest);
        if (!registry.HasReferrersApi)
        {
            // The fallback went through the referrers tag, and the CLI said it was unprotected there.
            Assert.Equal(RepositoryClient.ReferrersTag(subject.Digest), first.Json.GetProperty("referrersTag").GetString());
            Assert.False(first.Json.GetProperty("referrersTagProtected").GetBoolean());
            // The second attach replaced the index the first one made, and deleted it.
            Assert.False(first.Json.TryGetProperty("deletedReferrersIndex", out _));
            Assert.StartsWith("sha256:", second.Json.GetProperty("deletedReferrersIndex").GetString());
        }
    }

    [Fact]
    public async Task Tags_ListsWhatWasTagged()
    {
        using var cli = new CliRunner();
        using var client = registry.NewClient();
        var name = TestRegistryExtensions.UniqueRepository("roundtrip/tags");
        var image = await TestImages.PushImageAsync(client.Repository(name), new Platform("linux", "amd64"), seed: 8);

        var tagged = await cli.RunAsync("tag", $"{registry.Host}/{name}@{image.Digest}", "a", "b");
        Assert.True(tagged.ExitCode == 0, tagged.ToString());
        var listed = await cli.RunAsync("tags", $"{registry.Host}/{name}", "--output", "json");
        Assert.Equal(["a", "b"], listed.Json.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).Order().ToArray());

        var deleted = await cli.RunAsync("manifest", "delete", $"{registry.Host}/{name}@{image.Digest}");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        var gone = await cli.RunAsync("manifest", "get", $"{registry.Host}/{name}@{image.Digest}");
        Assert.Equal(4, gone.ExitCode);
    }

    [Fact]
    public async Task BlobCommands_PutGetDelete()
    {
        using var cli = new CliRunner();
        using var files = new TemporaryFolder();
        var content = RandomBytes(70_000, 11);
        var file = files.File("blob.bin", content);
        var repository = $"{registry.Host}/{TestRegistryExtensions.UniqueRepository("roundtrip/blob")}";

        var put = await cli.RunAsync("blob", "put", repository, file, "--output", "json");
        Assert.True(put.ExitCode == 0, put.ToString());
        var digest = put.Json.GetProperty("digest").GetString();
        Assert.Equal(Digest.Compute(DigestAlgorithm.Sha256, content).ToString(), digest);
        var again = await cli.RunAsync("blob", "put", repository, file, "--output", "json");
        Assert.Equal("alreadyPresent", again.Json.GetProperty("outcome").GetString());

        var get = await cli.RunAsync("blob", "get", $"{repository}@{digest}", "--file", files.Sub("back.bin"));
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(content, await File.ReadAllBytesAsync(files.Sub("back.bin")));

        var deleted = await cli.RunAsync("blob", "delete", $"{repository}@{digest}");
        Assert.True(deleted.ExitCode == 0, deleted.ToString());
        var missing = await cli.RunAsync("blob", "get", $"{repository}@{digest}", "--file", files.Sub("gone.bin"));
        Assert.Equal(4, missing.ExitCode);
    }

    [Fact]
    public async Task ManifestPut_FromAFile_KeepsItsBytesAndDigest()
    {
        using var cli = new CliRunner();
        using var files = new TemporaryFolder();
        using var client = registry.NewClient();
        var name = TestRegistryExtensions.UniqueRepository("roundtrip/manifest");
        var (config, layer, manifest) = TestImages.Image(new Platform("linux", "arm64"), 12);
        await client.Repository(name).PushBlobAsync(config);
        await client.Repository(name).PushBlobAsync(layer);
        var file = files.File("manifest.json", manifest.Bytes);

        var put = await cli.RunAsync("manifest", "put", $"{registry.Host}/{name}:v1", file, "--output", "json");
        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.Equal(manifest.Digest.ToString(), put.Json.GetProperty("digest").GetString());
        var back = await client.Repository(name).GetManifestAsync("v1");
        Assert.Equal(manifest.Bytes, back.Manifest.Bytes);
    }

    private static string RepositoryOf(string reference) => Client.References.ImageReference.Parse(reference).Repository;
}

public sealed class BerthRoundTripTests(BerthRegistryFixture registry) : RoundTripTests(registry), IClassFixture<BerthRegistryFixture>;

public sealed class DistributionRoundTripTests(DistributionRegistryFixture registry)
    : RoundTripTests(registry), IClassFixture<DistributionRegistryFixture>;
