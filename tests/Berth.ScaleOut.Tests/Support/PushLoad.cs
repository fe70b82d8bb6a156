using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace Berth.ScaleOut.Tests.Support;

/// <summary>One image push: blobs, then the manifest under a tag of its own; what the replica answered.</summary>
public sealed record PushAttempt(int Client, int Replica, string Repository, string Tag, TestImage Image, TimeSpan StartedAt, TimeSpan Duration)
{
    /// <summary>The manifest PUT answered 201: the push was acknowledged.</summary>
    public bool Acknowledged { get; init; }

    /// <summary>The connection failed (the replica is gone) instead of an HTTP answer.</summary>
    public bool ConnectionFailed { get; init; }

    /// <summary>The refusing answer, when there was one: status, content type and body.</summary>
    public HttpStatusCode? RefusedWith { get; init; }

    public string? RefusalContentType { get; init; }

    public string? RefusalBody { get; init; }
}

/// <summary>
/// Several clients pushing small images until stopped, each client taking the replicas in turn (as a
/// round-robin load balancer would), each push under its own tag so every acknowledged push can be
/// checked afterwards. Records every attempt; never throws for what a replica answers.
/// </summary>
public sealed class PushLoad
{
    private readonly ReplicaCluster _cluster;
    private readonly string _repositoryPrefix;
    private readonly int _layerSize;
    private readonly ConcurrentQueue<PushAttempt> _attempts = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public PushLoad(ReplicaCluster cluster, string repositoryPrefix, int layerSize = 20_000)
    {
        _cluster = cluster;
        _repositoryPrefix = repositoryPrefix;
        _layerSize = layerSize;
    }

    public IReadOnlyList<PushAttempt> Attempts => [.. _attempts];

    /// <summary>Time since the load was created, on the clock the attempts are stamped with.</summary>
    public TimeSpan Now => _clock.Elapsed;

    /// <summary>
    /// Waits until <paramref name="count"/> pushes were acknowledged, so a fault lands amid a steady
    /// stream however slow the machine is, then waits <paramref name="extra"/> more.
    /// </summary>
    public async Task WaitForAcknowledgedAsync(int count, TimeSpan extra)
    {
        var deadline = _clock.Elapsed + TimeSpan.FromSeconds(30);
        while (_attempts.Count(a => a.Acknowledged) < count)
        {
            if (_clock.Elapsed > deadline) throw new TimeoutException($"fewer than {count} pushes acknowledged in 30 s: {_attempts.FirstOrDefault()}");
            await Task.Delay(20);
        }
        await Task.Delay(extra);
    }

    public IEnumerable<string> Repositories(int clients) => Enumerable.Range(0, clients).Select(RepositoryOf).Distinct();

    public Task RunAsync(int clients, CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(() => ClientLoopAsync(client, stop))));

    private string RepositoryOf(int client) => $"{_repositoryPrefix}/r{client % 2}";

    private async Task ClientLoopAsync(int client, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var replica = (client + n) % ReplicaCluster.ReplicaCount;
            var attempt = new PushAttempt(client, replica, RepositoryOf(client), $"c{client}-{n}",
                TestImage.FromSeed(Random.Shared.Next(1_000_000, int.MaxValue), _layerSize), _clock.Elapsed, TimeSpan.Zero);
            var result = await PushAsync(_cluster.Client(replica), attempt);
            _attempts.Enqueue(result with { Duration = _clock.Elapsed - attempt.StartedAt });
            // A client whose replica is gone backs off a little, as a real one would, instead of spinning.
            if (result.ConnectionFailed) await Task.Delay(20, CancellationToken.None);
        }
    }

    private static async Task<PushAttempt> PushAsync(HttpClient client, PushAttempt attempt)
    {
        try
        {
            foreach (var (digest, content) in attempt.Image.Blobs)
            {
                using var body = new ByteArrayContent(content);
                using var blob = await client.PostAsync($"/v2/{attempt.Repository}/blobs/uploads/?digest={digest}", body);
                if (blob.StatusCode != HttpStatusCode.Created) return await RefusedAsync(attempt, blob);
            }
            using var manifest = await RegistryCalls.PutManifestAsync(client, attempt.Repository, attempt.Tag, attempt.Image.Manifest);
            return manifest.StatusCode == HttpStatusCode.Created ? attempt with { Acknowledged = true } : await RefusedAsync(attempt, manifest);
        }
        catch (HttpRequestException)
        {
            return attempt with { ConnectionFailed = true };
        }
        catch (TaskCanceledException)
        {
            return attempt with { ConnectionFailed = true };
        }
    }

    private static async Task<PushAttempt> RefusedAsync(PushAttempt attempt, HttpResponseMessage response) => attempt with
    {
        RefusedWith = response.StatusCode,
        RefusalContentType = response.Content.Headers.ContentType?.MediaType,
        RefusalBody = await response.Content.ReadAsStringAsync(),
    };
}
