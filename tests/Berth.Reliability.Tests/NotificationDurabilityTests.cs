using System.Net;
using System.Text;
using System.Text.Json;
using Berth.Reliability.Tests.Support;

namespace Berth.Reliability.Tests;

/// <summary>
/// Every event of an acknowledged write is delivered at least once, in order per repository, across two kill -9s of
/// the registry and ten seconds in which the receiver is gone (its port closed). 200 pushes from four writers.
/// </summary>
public sealed class NotificationDurabilityTests
{
    private const int Writers = 4;
    private const int PushesPerWriter = 50;

    [Fact]
    [Trait("Category", "Reliability")]
    public async Task Events_of_acknowledged_pushes_survive_kill_nine_and_receiver_downtime_in_order()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        using var data = new TemporaryFolder();
        var config = Path.Combine(data.Path, "berth.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            notifications = new
            {
                endpoints = new[]
                {
                    new { name = "ci", url = receiver.Url.ToString(), backoff = "00:00:00.200", maxBackoff = "00:00:02", actions = new[] { "push", "tag-moved" } },
                },
            },
        }));
        var options = new BerthProcessOptions { DataDirectory = Path.Combine(data.Path, "data"), Backend = TestBackend.Current, Arguments = ["--config", config] };
        var writers = Enumerable.Range(0, Writers).Select(i => new Writer($"events/repo{i}")).ToArray();

        var server = await BerthProcess.StartAsync(options);
        try
        {
            await PushUntilAsync(server, writers, 15);

            // kill -9 while the writers push: whatever was acknowledged must still be reported.
            server = await KillWhilePushingAsync(server, options, writers, target: 25);

            // The receiver goes away for ten seconds; pushes go on and their events wait in the outbox.
            await receiver.StopAsync();
            var downtime = System.Diagnostics.Stopwatch.StartNew();
            await PushUntilAsync(server, writers, 32);
            var (exit, listed, errors) = await BerthCommand.RunAsync(await Environment(options), "events", "--data", options.DataDirectory, "--config", config, "--output", "json");
            Assert.True(exit == 0, $"berth events exited {exit}: {errors}");
            using (var pending = JsonDocument.Parse(listed))
            {
                Assert.True(pending.RootElement.EnumerateArray().Any(e => e.GetProperty("Status").GetString() == "Pending"), listed);
            }
            server = await KillWhilePushingAsync(server, options, writers, target: 40);
            await Task.Delay(TimeSpan.FromSeconds(10) - downtime.Elapsed is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero);
            await receiver.StartListeningAsync();

            await PushUntilAsync(server, writers, PushesPerWriter);
            Assert.Equal(Writers * PushesPerWriter, writers.Sum(w => w.Acknowledged.Count));

            // Delivered at least once: the first arrival of each acknowledged push, per repository, in acknowledgement order.
            var received = await receiver.WaitForAsync(events => writers.All(w => w.Acknowledged.All(d => events.Any(e => e.Action == "push" && e.Digest == d))),
                TimeSpan.FromSeconds(90));
            foreach (var writer in writers)
            {
                var acknowledged = writer.Acknowledged.ToHashSet();
                var firstArrivals = received.Where(e => e.Repository == writer.Repository && e.Action == "push" && acknowledged.Contains(e.Digest))
                    .Select(e => e.Digest).Distinct().ToList();
                Assert.Equal(writer.Acknowledged, firstArrivals);
                // Each move names the digest before it: nothing in between was skipped or reordered.
                var moves = received.Where(e => e.Repository == writer.Repository && e.Action == "tag-moved").ToList();
                Assert.All(moves, m => Assert.NotEqual(m.Digest, m.Target.GetProperty("previousDigest").GetString()));
            }
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private static async Task<IReadOnlyDictionary<string, string>> Environment(BerthProcessOptions options)
    {
        var environment = System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Where(e => !((string)e.Key).StartsWith("BERTH_", StringComparison.Ordinal))
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "");
        foreach (var (name, value) in await TestBackend.Current.EnvironmentAsync(options.DataDirectory)) environment[name] = value;
        return environment;
    }

    private static async Task PushUntilAsync(BerthProcess server, Writer[] writers, int count)
    {
        await Task.WhenAll(writers.Select(w => w.PushUntilAsync(server.Address, count, CancellationToken.None)));
    }

    private static async Task<BerthProcess> KillWhilePushingAsync(BerthProcess server, BerthProcessOptions options, Writer[] writers, int target)
    {
        using var stop = new CancellationTokenSource();
        var pushing = writers.Select(w => w.PushUntilAsync(server.Address, target, stop.Token)).ToArray();
        await Task.Delay(Random.Shared.Next(200, 600));
        server.Kill();
        await stop.CancelAsync();
        await Task.WhenAll(pushing);
        await server.DisposeAsync();
        var restarted = await BerthProcess.StartAsync(options);
        await PushUntilAsync(restarted, writers, target);
        return restarted;
    }

    /// <summary>Pushes image n of its repository under "latest", one after another, keeping the digests acknowledged.</summary>
    private sealed class Writer(string repository)
    {
        public string Repository => repository;

        public List<string> Acknowledged { get; } = [];

        public async Task PushUntilAsync(Uri server, int count, CancellationToken stop)
        {
            using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(20) };
            while (Acknowledged.Count < count && !stop.IsCancellationRequested)
            {
                var image = TestImage.Create(Encoding.UTF8.GetBytes($$"""{"repository":"{{repository}}","n":{{Acknowledged.Count}}}"""));
                var pushed = new PushedImage(repository, image.Digest, image.Manifest, image.Blobs);
                try
                {
                    await ImageWriter.PushBlobsAsync(http, pushed);
                    if (await ImageWriter.PutManifestAsync(http, pushed, "latest") != HttpStatusCode.Created) return;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    return; // the server was killed: this push may or may not have committed, and is not counted
                }
                Acknowledged.Add(image.Digest);
            }
        }
    }
}
