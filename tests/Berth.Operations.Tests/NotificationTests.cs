using System.Net;
using System.Text;
using Berth.Events;
using Berth.Events.Configuration;
using Berth.Storage.Events;

namespace Berth.Operations.Tests;

/// <summary>
/// Webhook notifications over real HTTP: what CNCF Distribution's envelope carries for each write, the filters of an
/// endpoint, retries while the receiver refuses, giving up, and pull events only when asked for.
/// </summary>
public sealed class NotificationTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static NotificationEndpoint Endpoint(string name, WebhookReceiver receiver) => new()
    {
        Name = name,
        Url = receiver.Url.ToString(),
        Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer hook-secret" },
        Backoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromMilliseconds(400),
    };

    private static Task<InProcessBerth> StartAsync(params NotificationEndpoint[] endpoints) =>
        InProcessBerth.StartAsync(server: o => o with { Notifications = new NotificationOptions { Endpoints = endpoints } });

    [Fact]
    public async Task Every_kind_of_write_is_reported_in_Distributions_envelope_in_order()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var berth = await StartAsync(Endpoint("main", receiver));
        var http = berth.Client;

        var first = await HttpPushes.PushAsync(http, "team/app", "latest", seed: 1);
        var second = await HttpPushes.PushAsync(http, "team/app", "latest", seed: 2);
        var layer = first.Blobs.Last().Digest;
        using (var mount = await http.PostAsync($"/v2/other/blobs/uploads/?mount={layer}&from=team/app", null))
        {
            Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        }
        using (var delete = await http.DeleteAsync("/v2/team/app/manifests/latest")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        using (var delete = await http.DeleteAsync($"/v2/team/app/manifests/{first.Digest}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        using (var delete = await http.DeleteAsync($"/v2/other/blobs/{layer}")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

        // 2 blobs + manifest per image; then the move, the mount and the three deletes.
        var events = await receiver.WaitForAsync(e => e.Count >= 11, Wait);
        // In order per repository (each repository's events are one queue; repositories are delivered independently).
        Assert.Equal(["push", "push", "push", "push", "push", "push", "tag-moved", "delete", "delete"],
            events.Where(e => e.Repository == "team/app").Select(e => e.Action));
        Assert.Equal(["mount", "delete"], events.Where(e => e.Repository == "other").Select(e => e.Action));
        Assert.All(events, e => Assert.Equal(EventEnvelope.MediaType, e.ContentType));
        Assert.All(events, e => Assert.Equal("Bearer hook-secret", e.Authorization));
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());

        var pushed = events.Single(e => e.Action == "push" && e.Digest == first.Digest);
        Assert.Equal(("team/app", "latest", first.MediaType, first.Manifest.Length),
            (pushed.Repository, pushed.Tag, pushed.Target.GetProperty("mediaType").GetString(), pushed.Target.GetProperty("size").GetInt32()));
        Assert.True(DateTimeOffset.TryParse(pushed.Event.GetProperty("timestamp").GetString(), out _));
        Assert.False(string.IsNullOrEmpty(pushed.Event.GetProperty("source").GetProperty("instanceID").GetString()));

        var blob = events.First(e => e.Action == "push");
        Assert.Equal(EventEnvelope.BlobMediaType, blob.Target.GetProperty("mediaType").GetString());

        var moved = events.Single(e => e.Action == "tag-moved");
        Assert.Equal((second.Digest, first.Digest, "latest"), (moved.Digest, moved.Target.GetProperty("previousDigest").GetString(), moved.Tag));
        var mounted = events.Single(e => e.Action == "mount");
        Assert.Equal(("other", layer, "team/app"), (mounted.Repository, mounted.Digest, mounted.Target.GetProperty("fromRepository").GetString()));

        var deletes = events.Where(e => e.Action == "delete").OrderBy(e => e.Repository == "other").ToList();
        Assert.Equal(("team/app", second.Digest, "latest"), (deletes[0].Repository, deletes[0].Digest, deletes[0].Tag));
        Assert.Equal(("team/app", first.Digest, (string?)null), (deletes[1].Repository, deletes[1].Digest, deletes[1].Tag));
        Assert.Equal(("other", layer), (deletes[2].Repository, deletes[2].Digest));

        await WaitUntilOutboxIsEmptyAsync(berth);
    }

    [Fact]
    public async Task An_endpoint_gets_only_the_actions_and_repositories_it_asked_for_and_a_refused_write_sends_nothing()
    {
        await using var everything = await WebhookReceiver.StartAsync();
        await using var deletesOfTeam = await WebhookReceiver.StartAsync();
        await using var berth = await StartAsync(Endpoint("all", everything),
            Endpoint("team-deletes", deletesOfTeam) with { Actions = ["delete"], Repositories = ["team/**"] });
        var http = berth.Client;

        var image = await HttpPushes.PushAsync(http, "team/a", "v1", seed: 3);
        await HttpPushes.PushAsync(http, "elsewhere", "v1", seed: 3);
        using (var stale = await HttpPushes.PutManifestAsync(http, "team/a", "v1", TestImage.Create(OciContent.Config(4)), ifMatch: "\"sha256:" + new string('0', 64) + "\""))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        }
        using (var delete = await http.DeleteAsync("/v2/team/a/manifests/v1")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        using (var delete = await http.DeleteAsync("/v2/elsewhere/manifests/v1")) Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);

        var all = await everything.WaitForAsync(e => e.Count(x => x.Action == "delete") == 2, Wait);
        Assert.DoesNotContain(all, e => e.Action == "tag-moved"); // the refused If-Match write moved nothing
        var team = await deletesOfTeam.WaitForAsync(e => e.Count >= 1, Wait);
        await WaitUntilOutboxIsEmptyAsync(berth);
        var only = Assert.Single(deletesOfTeam.Events);
        Assert.Equal(("delete", "team/a", image.Digest), (only.Action, only.Repository, only.Digest));
        Assert.Single(team);
    }

    [Fact]
    public async Task While_the_receiver_refuses_events_wait_in_order_and_all_arrive_once_it_accepts()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.FailWith(503);
        await using var berth = await StartAsync(Endpoint("main", receiver) with { Actions = ["push"] });
        var tags = Enumerable.Range(0, 8).Select(i => $"t{i}").ToArray();
        foreach (var (tag, i) in tags.Select((t, i) => (t, i))) await HttpPushes.PushAsync(berth.Client, "queued", tag, seed: 10 + i);

        await WaitUntilAsync(() => receiver.Refused >= 3);
        var waiting = berth.Registry.Events.ListEvents(100);
        Assert.Equal(8 * 3, waiting.Count);
        Assert.Contains(waiting, e => e.Attempts > 0 && e.LastError == "the endpoint answered 503");

        receiver.FailWith(null);
        var events = await receiver.WaitForAsync(e => e.Count(x => x.Tag is not null) >= 8, Wait);
        Assert.Equal(tags, events.Where(e => e.Tag is not null).Select(e => e.Tag).Distinct());
        await WaitUntilOutboxIsEmptyAsync(berth);
    }

    [Fact]
    public async Task An_event_older_than_giveUpAfter_is_kept_as_failed_and_the_next_one_goes_out()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.FailWith(500);
        await using var berth = await StartAsync(Endpoint("main", receiver) with { Actions = ["push"], GiveUpAfter = TimeSpan.FromMilliseconds(1) });
        using (var blob = await berth.Client.PostAsync($"/v2/r/blobs/uploads/?digest={Sha256("x"u8.ToArray())}", new ByteArrayContent("x"u8.ToArray())))
        {
            Assert.Equal(HttpStatusCode.Created, blob.StatusCode);
        }
        await WaitUntilAsync(() => berth.Registry.Events.ListEvents(10) is [{ Status: EventDeliveryStatus.Failed }]);
        var failed = berth.Registry.Events.ListEvents(10)[0];
        Assert.Equal(("main", "r", "push", "the endpoint answered 500"), (failed.Endpoint, failed.Repository, failed.Action, failed.LastError));

        receiver.FailWith(null);
        using (var blob = await berth.Client.PostAsync($"/v2/r/blobs/uploads/?digest={Sha256("y"u8.ToArray())}", new ByteArrayContent("y"u8.ToArray())))
        {
            Assert.Equal(HttpStatusCode.Created, blob.StatusCode);
        }
        var arrived = await receiver.WaitForAsync(e => e.Count >= 1, Wait);
        Assert.Equal(Sha256("y"u8.ToArray()), Assert.Single(arrived).Digest);

        Assert.Equal(1, await berth.Registry.Events.RetryFailedEventsAsync(null));
        await receiver.WaitForAsync(e => e.Any(x => x.Digest == Sha256("x"u8.ToArray())), Wait);
    }

    [Fact]
    public async Task Pulls_are_reported_only_to_an_endpoint_that_asks_for_them()
    {
        await using var pulls = await WebhookReceiver.StartAsync();
        await using var writes = await WebhookReceiver.StartAsync();
        await using var berth = await StartAsync(Endpoint("pulls", pulls) with { Actions = ["pull"] }, Endpoint("writes", writes));
        var image = await HttpPushes.PushAsync(berth.Client, "p", "v1", seed: 5);
        using (var get = await berth.Client.GetAsync("/v2/p/manifests/v1")) Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        using (var head = new HttpRequestMessage(HttpMethod.Head, "/v2/p/manifests/v1"))
        using (var answer = await berth.Client.SendAsync(head)) Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var layer = image.Blobs.Last();
        using (var get = await berth.Client.GetAsync($"/v2/p/blobs/{layer.Digest}")) Assert.Equal(HttpStatusCode.OK, get.StatusCode);

        var pulled = await pulls.WaitForAsync(e => e.Count >= 2, Wait);
        await WaitUntilOutboxIsEmptyAsync(berth);
        Assert.Equal(2, pulls.Events.Count); // HEAD is not a pull
        Assert.All(pulled, e => Assert.Equal("pull", e.Action));
        Assert.Equal(("v1", image.Digest), (pulled[0].Tag, pulled[0].Digest));
        Assert.Equal((layer.Digest, layer.Content.Length), (pulled[1].Digest, pulled[1].Target.GetProperty("size").GetInt32()));
        Assert.DoesNotContain(writes.Events, e => e.Action == "pull");
    }

    private static Task WaitUntilOutboxIsEmptyAsync(InProcessBerth berth) => WaitUntilAsync(() => berth.Registry.Events.ListEvents(1).Count == 0);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(50);
        }
    }
}
