using Xunit.Abstractions;
using System.Xml.Linq;
using Berth.Client.Tests.Support;
using static Berth.Client.Tests.CheckNames;

namespace Berth.Client.Tests;

/// <summary><c>berth check</c> against Berth: every promised check passes, exit 0, and the scratch repository is gone.</summary>
public sealed class BerthCheckTests(BerthRegistryFixture registry, ITestOutputHelper output) : IClassFixture<BerthRegistryFixture>
{
    [Fact]
    public async Task Check_PassesEveryCheck_AndCleansUp()
    {
        using var cli = new CliRunner();
        var junit = Path.Combine(cli.ConfigDirectory, "check.xml");
        var result = await cli.RunAsync("check", $"{registry.Host}/probe", "--junit", junit);
        output.WriteLine(result.Output);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"{CheckNames.All.Length} of {CheckNames.All.Length} checks passed", result.Output);
        Assert.DoesNotContain("clean-up:", result.Output);
        var cases = XDocument.Load(junit).Descendants("testcase").ToList();
        Assert.Equal(CheckNames.All, cases.Select(c => c.Attribute("name")!.Value));
        Assert.DoesNotContain(cases, c => c.Element("failure") is not null || c.Element("skipped") is not null);
    }

    [Fact]
    public async Task Check_Json_ListsEveryCheckAsPassed_AndTheScratchRepositoryHasNoManifestsLeft()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("check", $"{registry.Host}/probe", "--output", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var checks = result.Json.GetProperty("checks").EnumerateArray().ToList();
        Assert.Equal(CheckNames.All, checks.Select(c => c.GetProperty("name").GetString()));
        Assert.All(checks, c => Assert.Equal("passed", c.GetProperty("outcome").GetString()));
        // Three malformed If-Match values, each refused with nothing written.
        Assert.Equal(3, Evidence(result, "malformed-condition").Split("-> 400").Length - 1);
        Assert.DoesNotContain("stored", Evidence(result, "malformed-condition").Replace("not stored", ""));
        var scratch = result.Json.GetProperty("repository").GetString()!;
        Assert.StartsWith("probe/berth-check-", scratch);
        using var client = registry.NewClient();
        Assert.Null(await client.Repository(scratch).TryGetManifestAsync("baseline"));
        Assert.Null(await client.Repository(scratch).TryGetManifestAsync("race"));
    }
}

/// <summary>
/// <c>berth check</c> against CNCF Distribution: it reports exactly what Distribution lacks (no
/// support header, no ETag on blobs, no referrers API, If-Match and If-None-Match ignored on writes,
/// racing writers lose updates), exit 1.
/// </summary>
public sealed class DistributionCheckTests(DistributionRegistryFixture registry, ITestOutputHelper output) : IClassFixture<DistributionRegistryFixture>
{
    [Fact]
    public async Task Check_ReportsExactlyWhatDistributionLacks()
    {
        using var cli = new CliRunner();
        var table = await cli.RunAsync("check", $"{registry.Host}/probe");
        output.WriteLine(table.Output);
        var result = await cli.RunAsync("check", $"{registry.Host}/probe", "--output", "json");
        output.WriteLine(result.Output);

        Assert.True(result.ExitCode == 1, result.ToString());
        var checks = result.Json.GetProperty("checks").EnumerateArray()
            .ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("outcome").GetString());
        Assert.Equal(CheckNames.All.Order(), checks.Keys.Order());
        Assert.Equal(CheckNames.FailingOnDistribution.Order(), checks.Where(c => c.Value == "failed").Select(c => c.Key).Order());
        Assert.All(checks.Where(c => c.Value != "failed"), c => Assert.Equal("passed", c.Value));
        var race = result.Json.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "racing-writers");
        Assert.StartsWith("1 of 8 updates survived", race.GetProperty("evidence").GetString());
        // The malformed-condition check looks at the registry afterwards: here it saw the writes land.
        var malformed = Evidence(result, "malformed-condition");
        Assert.Equal(3, malformed.Split("-> 201, tag moved, manifest stored").Length - 1);
        Assert.Empty(result.Json.GetProperty("cleanup").EnumerateArray());
    }
}

internal static class CheckNames
{
    public static string Evidence(CliResult result, string check) => result.Json.GetProperty("checks").EnumerateArray()
        .Single(c => c.GetProperty("name").GetString() == check).GetProperty("evidence").GetString()!;

    public static readonly string[] All =
    [
        "support-header", "etag-manifest", "etag-blob", "etag-referrers",
        "if-none-match-exact", "if-none-match-list", "if-none-match-star", "if-none-match-weak",
        "if-match-stale-put", "if-match-stale-delete", "if-none-match-create-only", "malformed-condition", "racing-writers",
    ];

    // Distribution 2.8 sends strong ETags on manifests and blobs and honours an exact If-None-Match on
    // GET, but nothing else of the contract (it parses no lists, *, or weak tags, and ignores
    // preconditions on writes).
    public static readonly string[] FailingOnDistribution =
    [
        "support-header", "etag-referrers", "if-none-match-list", "if-none-match-star", "if-none-match-weak",
        "if-match-stale-put", "if-match-stale-delete", "if-none-match-create-only", "malformed-condition", "racing-writers",
    ];
}
