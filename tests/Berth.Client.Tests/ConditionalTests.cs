using Berth.Client.Conditional;
using Berth.Client.Content;
using Berth.Client.Errors;
using Berth.Client.Tests.Support;

namespace Berth.Client.Tests;

/// <summary>
/// Conditional writes against Berth, which honours If-Match atomically: concurrent read-modify-writes
/// all land, and lost races are reported as conflicts (exit 3).
/// </summary>
public sealed class BerthConditionalTests(BerthRegistryFixture registry) : IClassFixture<BerthRegistryFixture>
{
    [Fact]
    public async Task EightConcurrentIndexAdds_EndWithAllEightPlatforms()
    {
        using var client = registry.NewClient();
        var name = TestRegistryExtensions.UniqueRepository("conditional/index");
        var repository = client.Repository(name);
        var manifests = new List<Manifest>();
        for (var i = 0; i < TestImages.EightPlatforms.Count; i++)
        {
            manifests.Add(await TestImages.PushImageAsync(repository, TestImages.EightPlatforms[i], seed: 100 + i));
        }

        // Eight builders at once, each through the CLI command in-process with its own client.
        using var cli = new CliRunner();
        var runs = manifests.Select(m => Task.Run(() => cli.RunAsync("index", "add", $"{registry.Host}/{name}:multi", m.Digest.ToString(), "--output", "json")));
        var results = await Task.WhenAll(runs);

        foreach (var result in results)
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.True(result.Json.GetProperty("protected").GetBoolean());
        }
        var index = await repository.GetManifestAsync("multi");
        Assert.Equal(TestImages.EightPlatforms.OrderBy(p => p.ToString()), MultiPlatformIndex.PlatformsOf(index.Manifest).OrderBy(p => p.ToString()));
        Assert.Equal(manifests.Select(m => m.Digest.ToString()).Order(),
            index.Manifest.ChildManifests().Select(m => m["digest"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task IndexRemove_TakesOutOnlyThatPlatform_AndAddingAgainChangesNothing()
    {
        using var client = registry.NewClient();
        var repository = client.Repository(TestRegistryExtensions.UniqueRepository("conditional/remove"));
        var amd = await TestImages.PushImageAsync(repository, new Platform("linux", "amd64"), 1);
        var arm = await TestImages.PushImageAsync(repository, new Platform("linux", "arm64"), 2);
        await repository.AddAsync("multi", amd.Digest);
        await repository.AddAsync("multi", arm.Digest);

        var again = await repository.AddAsync("multi", arm.Digest);
        Assert.False(again.Changed);

        var removed = await repository.RemoveAsync("multi", new Platform("linux", "amd64"));
        Assert.True(removed.Changed);
        Assert.True(removed.IsProtected);
        var index = await repository.GetManifestAsync("multi");
        Assert.Equal([new Platform("linux", "arm64")], MultiPlatformIndex.PlatformsOf(index.Manifest));
    }

    [Fact]
    public async Task CreateOnlyTag_SecondCreatorWithOtherContent_GetsConflict()
    {
        using var client = registry.NewClient();
        using var cli = new CliRunner();
        var name = TestRegistryExtensions.UniqueRepository("conditional/create");
        var first = await TestImages.PushImageAsync(client.Repository(name), new Platform("linux", "amd64"), 1);
        var second = await TestImages.PushImageAsync(client.Repository(name), new Platform("linux", "amd64"), 2);

        var created = await cli.RunAsync("tag", $"{registry.Host}/{name}@{first.Digest}", "release", "--create-only", "--output", "json");
        Assert.True(created.ExitCode == 0, created.ToString());
        var repeated = await cli.RunAsync("tag", $"{registry.Host}/{name}@{first.Digest}", "release", "--create-only", "--output", "json");
        Assert.True(repeated.ExitCode == 0, repeated.ToString());
        Assert.True(repeated.Json.GetProperty("alreadyApplied").GetBoolean());

        var lost = await cli.RunAsync("tag", $"{registry.Host}/{name}@{second.Digest}", "release", "--create-only", "--output", "json");
        Assert.Equal(3, lost.ExitCode);
        Assert.Equal("conflict", lost.Json.GetProperty("kind").GetString());
        Assert.Equal(first.Digest, (await client.Repository(name).GetManifestAsync("release")).Digest);
    }

    [Fact]
    public async Task TagIfMatch_MovesOnlyFromTheExpectedDigest_AndHistoryRecordsTheMoves()
    {
        using var client = registry.NewClient();
        using var cli = new CliRunner();
        var name = TestRegistryExtensions.UniqueRepository("conditional/ifmatch");
        var one = await TestImages.PushImageAsync(client.Repository(name), new Platform("linux", "amd64"), 1);
        var two = await TestImages.PushImageAsync(client.Repository(name), new Platform("linux", "amd64"), 2);
        var three = await TestImages.PushImageAsync(client.Repository(name), new Platform("linux", "amd64"), 3);
        Assert.Equal(0, (await cli.RunAsync("tag", $"{registry.Host}/{name}@{one.Digest}", "latest")).ExitCode);

        var moved = await cli.RunAsync("tag", $"{registry.Host}/{name}@{two.Digest}", "latest", "--if-match", one.Digest.ToString());
        Assert.True(moved.ExitCode == 0, moved.ToString());
        var stale = await cli.RunAsync("tag", $"{registry.Host}/{name}@{three.Digest}", "latest", "--if-match", one.Digest.ToString());
        Assert.Equal(3, stale.ExitCode);
        Assert.Equal(two.Digest, (await client.Repository(name).GetManifestAsync("latest")).Digest);

        var history = await cli.RunAsync("history", $"{registry.Host}/{name}:latest", "--output", "json");
        Assert.True(history.ExitCode == 0, history.ToString());
        var moves = history.Json.GetProperty("moves").EnumerateArray().ToList();
        Assert.Equal(2, moves.Count);
        Assert.Equal(one.Digest.ToString(), moves[0].GetProperty("from").GetString());
        Assert.Equal(two.Digest.ToString(), moves[0].GetProperty("to").GetString());
    }

    [Fact]
    public async Task SupportIsAnnounced_ByTheSignalHeader()
    {
        using var client = registry.NewClient();
        Assert.Equal(ConditionalSupport.Announced, await client.DetectConditionalSupportAsync());
    }

    [Fact]
    public async Task ReadModifyWrite_RetriesAfterLosingARace()
    {
        using var client = registry.NewClient(o => o with { RetryBaseDelay = TimeSpan.FromMilliseconds(1) });
        var repository = client.Repository(TestRegistryExtensions.UniqueRepository("conditional/retry"));
        var first = await TestImages.PushImageAsync(repository, new Platform("linux", "amd64"), 1);
        var second = await TestImages.PushImageAsync(repository, new Platform("linux", "arm64"), 2);
        await repository.AddAsync("multi", first.Digest);

        // Between our read and our write, another writer moves the tag once.
        var interfered = false;
        var result = await repository.UpdateTagAsync("multi", current =>
        {
            if (!interfered)
            {
                interfered = true;
                repository.AddAsync("multi", second.Digest).GetAwaiter().GetResult();
            }
            return MultiPlatformIndex.WithEntry(current, new System.Text.Json.Nodes.JsonObject
            {
                ["mediaType"] = first.MediaType, ["digest"] = first.Digest.ToString(), ["size"] = first.Bytes.Length,
                ["platform"] = new Platform("linux", "amd64", "v3").ToJson(),
            }, new Platform("linux", "amd64", "v3"));
        });

        Assert.Equal(2, result.Attempts);
        var index = await repository.GetManifestAsync("multi");
        Assert.Equal(3, MultiPlatformIndex.PlatformsOf(index.Manifest).Count);
    }
}

/// <summary>Berth with its support signal off: the client must find support with the probe (§5.4).</summary>
public sealed class ProbedConditionalTests(SilentBerthRegistryFixture registry) : IClassFixture<SilentBerthRegistryFixture>
{
    [Fact]
    public async Task SupportIsDetected_ByTheNonDestructiveProbe()
    {
        using var client = registry.NewClient();
        var repository = client.Repository(TestRegistryExtensions.UniqueRepository("probe/berth"));
        Assert.Equal(ConditionalSupport.Unknown, await client.DetectConditionalSupportAsync());
        var existing = await TestImages.PushImageAsync(repository, new Platform("linux", "amd64"), 1);
        Assert.Equal(ConditionalSupport.Probed, await client.DetectConditionalSupportAsync(repository, existing));
    }

    [Fact]
    public async Task IndexAdd_WorksWithoutTheSignal()
    {
        using var client = registry.NewClient();
        var repository = client.Repository(TestRegistryExtensions.UniqueRepository("probe/index"));
        var image = await TestImages.PushImageAsync(repository, new Platform("linux", "amd64"), 1);
        var result = await repository.AddAsync("multi", image.Digest);
        Assert.Equal(ConditionalSupport.Probed, result.Protection);
    }
    [Fact]
    public async Task ManifestPutCreateOnly_ProbesWithTheNewManifest_ThenProtectsTheTag()
    {
        using var client = registry.NewClient();
        using var cli = new CliRunner();
        using var files = new TemporaryFolder();
        var name = TestRegistryExtensions.UniqueRepository("probe/create");
        var (config, layer, first) = TestImages.Image(new Platform("linux", "amd64"), 1);
        var (config2, layer2, second) = TestImages.Image(new Platform("linux", "amd64"), 2);
        foreach (var blob in new[] { config, layer, config2, layer2 }) await client.Repository(name).PushBlobAsync(blob);

        var created = await cli.RunAsync("manifest", "put", $"{registry.Host}/{name}:release", files.File("a.json", first.Bytes), "--create-only", "--output", "json");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.True(created.Json.GetProperty("protected").GetBoolean());

        var refused = await cli.RunAsync("manifest", "put", $"{registry.Host}/{name}:release", files.File("b.json", second.Bytes), "--create-only");
        Assert.Equal(3, refused.ExitCode);
        Assert.Equal(first.Digest, (await client.Repository(name).GetManifestAsync("release")).Digest);
    }
}

/// <summary>
/// CNCF Distribution ignores If-Match / If-None-Match on writes. The client must say so instead of
/// racing silently: by default it refuses (exit 5), and when allowed it reports every write as unprotected.
/// </summary>
public sealed class DistributionConditionalTests(DistributionRegistryFixture registry) : IClassFixture<DistributionRegistryFixture>
{
    [Fact]
    public async Task EightConcurrentIndexAdds_AreRefusedAsUnprotected()
    {
        using var client = registry.NewClient();
        var name = TestRegistryExtensions.UniqueRepository("conditional/index");
        var repository = client.Repository(name);
        var manifests = new List<Manifest>();
        for (var i = 0; i < TestImages.EightPlatforms.Count; i++)
        {
            manifests.Add(await TestImages.PushImageAsync(repository, TestImages.EightPlatforms[i], seed: 100 + i));
        }

        using var cli = new CliRunner();
        var results = await Task.WhenAll(manifests.Select(m =>
            Task.Run(() => cli.RunAsync("index", "add", $"{registry.Host}/{name}:multi", m.Digest.ToString(), "--output", "json"))));

        foreach (var result in results)
        {
            Assert.True(result.ExitCode == 5, result.ToString());
            Assert.Equal("unprotected", result.Json.GetProperty("kind").GetString());
            Assert.Contains("no guarantee", result.Error);
        }
        Assert.Null(await repository.TryGetManifestAsync("multi"));
    }

    [Fact]
    public async Task EightConcurrentIndexAdds_WhenAllowed_ReportEveryWriteAsUnprotected()
    {
        using var client = registry.NewClient();
        var name = TestRegistryExtensions.UniqueRepository("conditional/racy");
        var repository = client.Repository(name);
        var manifests = new List<Manifest>();
        for (var i = 0; i < TestImages.EightPlatforms.Count; i++)
        {
            manifests.Add(await TestImages.PushImageAsync(repository, TestImages.EightPlatforms[i], seed: 200 + i));
        }

        using var cli = new CliRunner();
        var results = await Task.WhenAll(manifests.Select(m => Task.Run(() =>
            cli.RunAsync("index", "add", $"{registry.Host}/{name}:multi", m.Digest.ToString(), "--allow-unprotected", "--output", "json"))));

        foreach (var result in results)
        {
            // 0 when the read-back still showed our platform, 3 when it showed our write was lost.
            Assert.True(result.ExitCode is 0 or 3, result.ToString());
            Assert.False(result.Json.GetProperty("protected").GetBoolean());
            Assert.Equal("notSupported", result.Json.GetProperty("protection").GetString());
            Assert.Contains("ignores conditional requests", result.Error);
        }
        var index = await repository.GetManifestAsync("multi");
        var confirmedLost = results.Count(r => r.ExitCode == 3);
        Assert.True(MultiPlatformIndex.PlatformsOf(index.Manifest).Count <= 8 - confirmedLost);
    }

    [Fact]
    public async Task SupportIsDetected_AsMissing_ByTheProbe()
    {
        using var client = registry.NewClient();
        var repository = client.Repository(TestRegistryExtensions.UniqueRepository("probe/distribution"));
        var existing = await TestImages.PushImageAsync(repository, new Platform("linux", "amd64"), 1);
        Assert.Equal(ConditionalSupport.NotSupported, await client.DetectConditionalSupportAsync(repository, existing));
    }

    [Fact]
    public async Task ReadModifyWrite_ThrowsUnprotected_AndWritesNothing()
    {
        using var client = registry.NewClient();
        var repository = client.Repository(TestRegistryExtensions.UniqueRepository("conditional/library"));
        var image = await TestImages.PushImageAsync(repository, new Platform("linux", "amd64"), 1);
        var refused = await Assert.ThrowsAsync<UnprotectedWriteException>(() => repository.AddAsync("multi", image.Digest));
        Assert.Equal(ConditionalSupport.NotSupported, refused.Support);
        Assert.Null(await repository.TryGetManifestAsync("multi"));

        var allowed = await repository.AddAsync("multi", image.Digest, whenUnprotected: UnprotectedWritePolicy.Proceed);
        Assert.False(allowed.IsProtected);
        Assert.True(allowed.ConfirmedByReadBack);
    }

    [Fact]
    public async Task CreateOnlyTag_IsRefusedAsUnprotected_UnlessAllowed()
    {
        using var client = registry.NewClient();
        using var cli = new CliRunner();
        var name = TestRegistryExtensions.UniqueRepository("conditional/create");
        var image = await TestImages.PushImageAsync(client.Repository(name), new Platform("linux", "amd64"), 1);

        var refused = await cli.RunAsync("tag", $"{registry.Host}/{name}@{image.Digest}", "release", "--create-only");
        Assert.Equal(5, refused.ExitCode);
        Assert.Null(await client.Repository(name).HeadManifestAsync("release"));

        var allowed = await cli.RunAsync("tag", $"{registry.Host}/{name}@{image.Digest}", "release", "--create-only", "--allow-unprotected", "--output", "json");
        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.False(allowed.Json.GetProperty("protected").GetBoolean());
    }

    [Fact]
    public async Task History_IsReportedAsNotOffered()
    {
        using var client = registry.NewClient();
        using var cli = new CliRunner();
        var name = TestRegistryExtensions.UniqueRepository("conditional/history");
        var image = await TestImages.PushImageAsync(client.Repository(name), new Platform("linux", "amd64"), 1);
        await client.Repository(name).PutManifestAsync("v1", image);
        var history = await cli.RunAsync("history", $"{registry.Host}/{name}:v1");
        Assert.Equal(4, history.ExitCode);
        Assert.Contains("does not offer tag history", history.Error);
    }
}
