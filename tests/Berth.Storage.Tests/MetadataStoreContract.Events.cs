using System.Text;
using Berth.Storage.Events;
using Berth.Storage.Metadata;
using static Berth.Storage.Tests.StoredContent;

namespace Berth.Storage.Tests;

/// <summary>The transactional outbox: events recorded by the writes themselves, claimed in order per group.</summary>
public abstract partial class MetadataStoreContract
{
    /// <summary>
    /// A planner that sends every change to the endpoints it was given, with the change kind and tag as payload, and
    /// keeps what it was asked to plan. (The real planner, with Distribution's envelope, is tested over HTTP.)
    /// </summary>
    private sealed class RecordingPlanner(params string[] endpoints) : IEventPlanner
    {
        public List<RepositoryChange> Planned { get; } = [];

        public IReadOnlyList<PlannedEvent> Plan(IReadOnlyList<RepositoryChange> changes)
        {
            lock (Planned) Planned.AddRange(changes);
            return [.. changes.SelectMany(c => endpoints.Select(e =>
                new PlannedEvent(e, c.Repository, c.Kind.ToString(), Encoding.UTF8.GetBytes($"{c.Kind} {c.Tag} {c.Digest}"))))];
        }
    }

    private static string Text(EventDelivery delivery) => Encoding.UTF8.GetString(delivery.Payload);

    private async Task<List<EventDelivery>> DrainAsync(IMetadataBackend store, string endpoint)
    {
        var delivered = new List<EventDelivery>();
        while ((await store.ClaimEventsAsync("drain", [endpoint], 10, TimeSpan.FromMinutes(1))) is { Count: > 0 } claimed)
        {
            foreach (var delivery in claimed)
            {
                delivered.Add(delivery);
                await store.CompleteEventAsync(delivery.Id);
            }
        }
        return delivered;
    }

    [Fact]
    public async Task Without_a_planner_writes_record_no_events()
    {
        await LinkAsync("r", BlobDigest("a"));
        await PushAsync("r", """{"n":1}""", "t");
        Assert.Empty(Store.ListEvents(100));
    }

    [Fact]
    public async Task Each_write_records_what_it_changed_in_its_own_transaction()
    {
        var planner = new RecordingPlanner("hook");
        Store.EventPlanner = planner;
        var layer = BlobDigest("layer");
        Assert.True(await Store.LinkBlobAsync("r", layer, () => ValueTask.FromResult(true), new BlobArrival(5)));
        Assert.True(await Store.LinkBlobAsync("s", layer, () => ValueTask.FromResult(true), new BlobArrival(5, Mounted: true, MountedFrom: "r")));
        var first = await PushAsync("r", """{"n":1}""", "latest", "v1");
        var second = await PushAsync("r", """{"n":2}""", "latest");
        Assert.Equal(WriteStatus.Done, (await Store.DeleteTagAsync("r", "v1", WriteGuard.None, "alice")).Status);
        Assert.Equal(WriteStatus.Done, (await Store.DeleteManifestAsync("r", second.Digest, WriteGuard.None, "bob")).Status);
        Assert.Equal(WriteStatus.Done, (await Store.UnlinkBlobAsync("s", layer, WriteGuard.None)).Status);

        Assert.Equal(
            [ChangeKind.BlobPushed, ChangeKind.BlobMounted, ChangeKind.ManifestPushed, ChangeKind.ManifestPushed, ChangeKind.ManifestPushed,
             ChangeKind.TagMoved, ChangeKind.TagDeleted, ChangeKind.ManifestDeleted, ChangeKind.TagDeleted, ChangeKind.BlobDeleted],
            planner.Planned.Select(c => c.Kind));
        var moved = planner.Planned.Single(c => c.Kind == ChangeKind.TagMoved);
        Assert.Equal(("latest", first.Digest, second.Digest), (moved.Tag, moved.PreviousDigest!.Value, moved.Digest));
        Assert.Equal("r", planner.Planned[1].FromRepository);
        Assert.Equal(["alice", "bob", "bob"], planner.Planned.Where(c => c.Kind is ChangeKind.TagDeleted or ChangeKind.ManifestDeleted).Select(c => c.Actor));

        var listed = Store.ListEvents(100);
        Assert.Equal(planner.Planned.Count, listed.Count);
        Assert.All(listed, e => Assert.Equal(EventDeliveryStatus.Pending, e.Status));
        Assert.Equal(listed.OrderBy(e => e.Id).Select(e => e.Id), listed.Select(e => e.Id));
    }

    [Fact]
    public async Task A_refused_write_records_no_event()
    {
        Store.EventPlanner = new RecordingPlanner("hook");
        await LinkAsync("r", BlobDigest("a"));
        var pushed = await PushAsync("r", """{"n":1}""", "t");
        var before = Store.ListEvents(100).Count;

        var refused = await Store.PutManifestAsync(Manifest("r", """{"n":2}""", ["t"]), IfMatch(BlobDigest("stale")));
        Assert.Equal(WriteStatus.PreconditionFailed, refused.Status);
        Assert.Equal(WriteStatus.PreconditionFailed, (await Store.DeleteTagAsync("r", "t", IfMatch(BlobDigest("stale")), null)).Status);
        Assert.Equal(WriteStatus.NotFound, (await Store.DeleteManifestAsync("r", BlobDigest("none"), WriteGuard.None, null)).Status);
        Assert.Equal(before, Store.ListEvents(100).Count);
        Assert.Equal(pushed.Digest, Store.ResolveTag("r", "t")!.Manifest.Digest);
    }

    [Fact]
    public async Task Only_the_oldest_event_of_a_group_is_claimable_until_it_is_done()
    {
        Store.EventPlanner = new RecordingPlanner("a", "b");
        foreach (var repository in new[] { "one", "two" })
        {
            await LinkAsync(repository, BlobDigest("l"));
            await PushAsync(repository, """{"n":1}""", "x");
            await PushAsync(repository, """{"n":2}""", "x");
        }
        // Three events per repository (blob link without arrival records none): push, push, tag moved.
        var heads = await Store.ClaimEventsAsync("me", ["a"], 10, TimeSpan.FromMinutes(1));
        Assert.Equal(["one", "two"], heads.Select(h => h.Repository));
        Assert.All(heads, h => Assert.Equal("ManifestPushed", h.Action));

        // Leased heads block their groups, for any claimer; endpoint b's groups are separate.
        Assert.Empty(await OpenAnotherInstance().ClaimEventsAsync("replica", ["a"], 10, TimeSpan.FromMinutes(1)));
        Assert.Equal(2, (await Store.ClaimEventsAsync("me", ["b"], 10, TimeSpan.FromMinutes(1))).Count);

        await Store.CompleteEventAsync(heads[0].Id);
        var next = await OpenAnotherInstance().ClaimEventsAsync("replica", ["a"], 10, TimeSpan.FromMinutes(1));
        var only = Assert.Single(next);
        Assert.Equal("one", only.Repository);
        Assert.True(only.Id > heads[0].Id);
        Assert.StartsWith("ManifestPushed x", Text(only));
    }

    [Fact]
    public async Task A_failed_attempt_keeps_its_place_and_blocks_its_group_until_due()
    {
        Store.EventPlanner = new RecordingPlanner("a");
        await LinkAsync("r", BlobDigest("l"));
        await PushAsync("r", """{"n":1}""", "x");
        await PushAsync("r", """{"n":2}""", "y");
        var head = Assert.Single(await Store.ClaimEventsAsync("me", ["a"], 10, TimeSpan.FromMinutes(1)));

        await Store.RetryEventLaterAsync(head.Id, DateTimeOffset.UtcNow.AddHours(1), "the endpoint answered 503");
        Assert.Empty(await Store.ClaimEventsAsync("me", ["a"], 10, TimeSpan.FromMinutes(1)));
        var state = Store.ListEvents(10)[0];
        Assert.Equal((head.Id, 1, "the endpoint answered 503"), (state.Id, state.Attempts, state.LastError));

        await Store.RetryEventLaterAsync(head.Id, DateTimeOffset.UtcNow.AddSeconds(-1), "again");
        var retried = Assert.Single(await Store.ClaimEventsAsync("me", ["a"], 10, TimeSpan.FromMinutes(1)));
        Assert.Equal((head.Id, 2), (retried.Id, retried.Attempts));
    }

    [Fact]
    public async Task A_lease_that_runs_out_frees_the_event_for_another_claimer()
    {
        Store.EventPlanner = new RecordingPlanner("a");
        await LinkAsync("r", BlobDigest("l"));
        await PushAsync("r", """{"n":1}""", "x");
        var first = Assert.Single(await Store.ClaimEventsAsync("dies", ["a"], 10, TimeSpan.Zero));
        await Task.Delay(5); // the lease ended at the claim's own millisecond
        var again = Assert.Single(await OpenAnotherInstance().ClaimEventsAsync("replica", ["a"], 10, TimeSpan.FromMinutes(1)));
        Assert.Equal(first.Id, again.Id);
    }

    [Fact]
    public async Task A_given_up_event_is_kept_as_failed_and_its_group_moves_on_until_retried()
    {
        Store.EventPlanner = new RecordingPlanner("a");
        await LinkAsync("r", BlobDigest("l"));
        await PushAsync("r", """{"n":1}""", "x");
        await PushAsync("r", """{"n":2}""", "y");
        var head = Assert.Single(await Store.ClaimEventsAsync("me", ["a"], 10, TimeSpan.FromMinutes(1)));
        await Store.GiveUpEventAsync(head.Id, "older than giveUpAfter");

        Assert.Equal(EventDeliveryStatus.Failed, Store.ListEvents(10).Single(e => e.Id == head.Id).Status);
        var rest = await DrainAsync(Store, "a");
        Assert.Equal([$"ManifestPushed y"], rest.Select(d => Text(d)[..16]));

        Assert.Equal(1, await Store.RetryFailedEventsAsync("a"));
        Assert.Equal(0, await Store.RetryFailedEventsAsync("a"));
        Assert.Equal([head.Id], (await DrainAsync(Store, "a")).Select(d => d.Id));
        Assert.Empty(Store.ListEvents(10));
    }

    [Fact]
    public async Task Concurrent_writers_of_one_repository_get_outbox_ids_in_commit_order()
    {
        Store.EventPlanner = new RecordingPlanner("a");
        await LinkAsync("r", BlobDigest("l"));
        var replica = OpenAnotherInstance();
        replica.EventPlanner = Store.EventPlanner;
        // 40 pushes moving one tag from two store instances: the tag history is the commit order.
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            (i % 2 == 0 ? Store : replica).PutManifestAsync(Manifest("r", $$"""{"n":{{i}}}""", ["t"]), WriteGuard.None)));
        var commitOrder = Store.TagHistory("r", "t", 100).Reverse().Select(m => m.NewDigest!.Value.ToString()).ToList();
        var pushedOrder = (await DrainAsync(Store, "a")).Select(Text).Where(t => t.StartsWith("ManifestPushed", StringComparison.Ordinal))
            .Select(t => t.Split(' ')[^1]).ToList();
        Assert.Equal(commitOrder, pushedOrder);
    }
}
