using System.Net;
using System.Text.Json;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.ConditionalScenario;

namespace Berth.Server.Tests.Conditional;

/// <summary>
/// GET /v2/&lt;name&gt;/_berth/history/&lt;tag&gt; (issue 3, "A tag history"): every move of a tag is
/// recorded with its old and new digest, time and actor, newest first, so a lost update can be seen
/// and undone. Refused writes and writes that do not move the tag record nothing.
/// </summary>
public sealed class TagHistoryTests(InProcessBerthFixture fixture) : IClassFixture<InProcessBerthFixture>
{
    private sealed record Move(string? From, string? To, DateTimeOffset At, string? Actor);

    private Task<ConditionalScenario> ScenarioAsync(string repository) => CreateAsync(fixture.Client, repository);

    private async Task<List<Move>> HistoryAsync(ConditionalScenario s, string tag = Tag, int? n = null)
    {
        using var response = await fixture.Client.GetAsync($"/v2/{s.Repository}/_berth/history/{tag}" + (n is null ? "" : $"?n={n}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        Assert.Equal(s.Repository, root.GetProperty("name").GetString());
        Assert.Equal(tag, root.GetProperty("tag").GetString());
        return root.GetProperty("moves").EnumerateArray().Select(move => new Move(
            move.GetProperty("from").GetString(),
            move.GetProperty("to").GetString(),
            move.GetProperty("at").GetDateTimeOffset(),
            move.GetProperty("actor").GetString())).ToList();
    }

    private static void AssertMoves(IReadOnlyList<Move> moves, params (string? From, string? To)[] expected) =>
        Assert.Equal(expected, moves.Select(m => (m.From, m.To)));

    [Fact]
    public async Task EveryMoveIsRecordedNewestFirst()
    {
        var s = await ScenarioAsync("history/moves");
        using (var r = await s.PutAsync(Tag, s.M2, ("If-Match", Quoted(s.D1)))) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using (var r = await s.PutAsync(Tag, s.M3)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using (var r = await s.DeleteAsync(Tag, ("If-Match", Quoted(s.D3)))) Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        using (var r = await s.PutAsync(Tag, s.M1, ("If-None-Match", "*"))) Assert.Equal(HttpStatusCode.Created, r.StatusCode);

        var moves = await HistoryAsync(s);
        AssertMoves(moves, (null, s.D1), (s.D3, null), (s.D2, s.D3), (s.D1, s.D2), (null, s.D1));
        Assert.All(moves, m => Assert.False(string.IsNullOrEmpty(m.Actor)));
        Assert.All(moves, m => Assert.InRange(m.At, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1)));
        Assert.Equal(moves.Select(m => m.At).OrderByDescending(at => at), moves.Select(m => m.At));

        AssertMoves(await HistoryAsync(s, n: 2), (null, s.D1), (s.D3, null));
    }

    [Fact]
    public async Task RefusedWritesRecordNothing()
    {
        var s = await ScenarioAsync("history/refused");
        var before = await HistoryAsync(s);
        AssertMoves(before, (null, s.D1));

        using (var r = await s.PutAsync(Tag, s.M2, ("If-Match", Quoted(s.D2)))) Assert.Equal(HttpStatusCode.PreconditionFailed, r.StatusCode);
        using (var r = await s.PutAsync(Tag, s.M2, ("If-None-Match", "*"))) Assert.Equal(HttpStatusCode.PreconditionFailed, r.StatusCode);
        using (var r = await s.PutAsync(Tag, s.M2, ("If-Match", "\"broken"))) Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        using (var r = await s.DeleteAsync(Tag, ("If-Match", Quoted(s.D2)))) Assert.Equal(HttpStatusCode.PreconditionFailed, r.StatusCode);
        using (var r = await s.DeleteAsync(s.D1, ("If-Match", Quoted(s.D2)))) Assert.Equal(HttpStatusCode.PreconditionFailed, r.StatusCode);
        using (var r = await s.PutAsync("n", s.M2, ("If-Match", "*"))) Assert.Equal(HttpStatusCode.PreconditionFailed, r.StatusCode);

        Assert.Equal(before, await HistoryAsync(s));
        Assert.Empty(await HistoryAsync(s, "n"));
    }

    [Fact]
    public async Task RePushingTheSameManifestIsNotAMove()
    {
        var s = await ScenarioAsync("history/same");
        using (var r = await s.PutAsync(Tag, s.M1)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using (var r = await s.PutAsync(Tag, s.M1, ("If-Match", Quoted(s.D1)))) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        AssertMoves(await HistoryAsync(s), (null, s.D1));
    }

    [Fact]
    public async Task DeletingAManifestByDigestRecordsTheRemovalOfEachOfItsTags()
    {
        var s = await ScenarioAsync("history/cascade");
        using (var r = await s.PutAsync("u", s.M1)) Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using (var r = await s.DeleteAsync(s.D1, ("If-Match", Quoted(s.D1)))) Assert.Equal(HttpStatusCode.Accepted, r.StatusCode);
        AssertMoves(await HistoryAsync(s), (s.D1, null), (null, s.D1));
        AssertMoves(await HistoryAsync(s, "u"), (s.D1, null), (null, s.D1));
    }

    [Fact]
    public async Task MultiTagPushRecordsEachTag()
    {
        var s = await ScenarioAsync("history/multitag");
        using (var r = await s.Client.SendAsync(HttpMethod.Put, s.ManifestPath(s.D2) + $"?tag={Tag}&tag=b", [], ManifestContent(s.M2)))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }
        AssertMoves(await HistoryAsync(s), (s.D1, s.D2), (null, s.D1));
        AssertMoves(await HistoryAsync(s, "b"), (null, s.D2));
    }

    [Fact]
    public async Task ALostUpdateCanBeSeenAndUndone()
    {
        // Two unconditional writers: the second silently overwrites the first. The history shows
        // which digest was lost, and a conditional PUT puts it back without racing anyone else.
        var s = await ScenarioAsync("history/undo");
        using (var first = await s.PutAsync(Tag, s.M2)) Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using (var second = await s.PutAsync(Tag, s.M3)) Assert.Equal(HttpStatusCode.Created, second.StatusCode);

        var lost = (await HistoryAsync(s))[0];
        Assert.Equal((s.D2, s.D3), (lost.From, lost.To));
        using var lostManifest = await s.GetAsync(lost.From!);
        Assert.Equal(HttpStatusCode.OK, lostManifest.StatusCode);
        var body = await lostManifest.Content.ReadAsByteArrayAsync();
        using var restore = await s.PutAsync(Tag, body, ("If-Match", Quoted(lost.To!)));
        Assert.Equal(HttpStatusCode.Created, restore.StatusCode);
        Assert.Equal(s.D2, await s.CurrentDigestAsync());
        AssertMoves(await HistoryAsync(s), (s.D3, s.D2), (s.D2, s.D3), (s.D1, s.D2), (null, s.D1));
    }

    [Fact]
    public async Task ATagThatNeverExistedHasAnEmptyHistory()
    {
        var s = await ScenarioAsync("history/none");
        Assert.Empty(await HistoryAsync(s, "never"));
    }
}
