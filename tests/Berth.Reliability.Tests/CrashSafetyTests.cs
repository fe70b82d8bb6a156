using System.Net;
using Berth.Registry;
using Berth.Server.Hosting;
using Berth.Reliability.Tests.Support;

namespace Berth.Reliability.Tests;

/// <summary>
/// Whatever the registry acknowledged (201/202) survives kill -9 at any instant, and nothing
/// half-written is ever served. Cycles default to 50 (CI); set BERTH_CRASH_CYCLES for a longer run.
/// </summary>
public sealed class CrashSafetyTests
{
    private const int Clients = 6;

    [Fact]
    [Trait("Category", "Reliability")]
    public async Task KillNine_AtRandomMoments_LosesNothingAcknowledged()
    {
        var cycles = int.TryParse(Environment.GetEnvironmentVariable("BERTH_CRASH_CYCLES"), out var configured) ? configured : 50;
        var data = Path.Combine(Path.GetTempPath(), "berth-crash-" + Guid.NewGuid().ToString("N"));
        var random = new Random(20261128);
        var sharedLayer = new byte[50_000];
        random.NextBytes(sharedLayer);
        var clients = Enumerable.Range(0, Clients).Select(i => new TagWriter($"crash/repo{i % 2}", $"client{i}")).ToArray();
        try
        {
            for (var cycle = 0; cycle < cycles; cycle++)
            {
                using var server = await BerthProcess.StartAsync(data, TestBackend.Current);
                using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(20) };
                foreach (var client in clients) await client.VerifyAfterRestartAsync(http);

                using var stop = new CancellationTokenSource();
                var writers = clients.Select((client, i) => client.WriteUntilFailureAsync(server.Address, sharedLayer, new Random(cycle * 100 + i), stop.Token)).ToArray();
                await Task.Delay(random.Next(100, 700));
                server.Kill();
                stop.Cancel();
                await Task.WhenAll(writers);
            }

            using (var last = await BerthProcess.StartAsync(data, TestBackend.Current))
            using (var http = new HttpClient { BaseAddress = last.Address })
            {
                foreach (var client in clients) await client.VerifyAfterRestartAsync(http);
            }
            Assert.True(clients.Sum(c => c.Acknowledged) >= cycles, "the clients should have had writes acknowledged in most cycles");

            // Every stored blob matches its digest, every reference resolves, no tag dangles.
            var options = await TestBackend.Current.ConfigureAsync(new RegistryOptions { DataDirectory = data });
            using var registry = RegistryStorage.Open(options);
            var report = await registry.IntegrityChecker.CheckAsync(quarantine: false, CancellationToken.None);
            Assert.True(report.IsHealthy, string.Join("; ", report.DamagedBlobs.Concat(report.MissingBlobs).Concat(report.DanglingTags)));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>
    /// One client that owns one tag and writes it sequentially, remembering what was acknowledged and
    /// what was in flight when the server died (which may or may not have committed).
    /// </summary>
    private sealed class TagWriter(string repository, string tag)
    {
        private const string Deleted = "(deleted)";

        private string? _acknowledged;
        private string? _inFlight;

        public int Acknowledged { get; private set; }

        public async Task VerifyAfterRestartAsync(HttpClient http)
        {
            var current = await ImageWriter.ResolveAsync(http, repository, tag) ?? Deleted;
            var expected = _acknowledged ?? Deleted;
            if (current != expected)
            {
                // Only the write that was in flight at the kill may have landed without its acknowledgement.
                Assert.True(current == _inFlight, $"{repository}:{tag} is {current}; acknowledged {expected}, in flight {_inFlight ?? "nothing"}");
                _acknowledged = current == Deleted ? null : current;
            }
            _inFlight = null;
            if (_acknowledged is not null) await ImageWriter.AssertCompleteAsync(http, repository, _acknowledged);
        }

        public async Task WriteUntilFailureAsync(Uri address, byte[] sharedLayer, Random random, CancellationToken stop)
        {
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(20) };
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    if (_acknowledged is not null && random.Next(6) == 0)
                    {
                        _inFlight = Deleted;
                        if (await ImageWriter.DeleteTagAsync(http, repository, tag) == HttpStatusCode.Accepted) Acknowledge(null);
                        continue;
                    }
                    var image = ImageWriter.Compose(repository, sharedLayer, random);
                    await ImageWriter.PushBlobsAsync(http, image);
                    _inFlight = image.ManifestDigest;
                    if (await ImageWriter.PutManifestAsync(http, image, tag) == HttpStatusCode.Created) Acknowledge(image.ManifestDigest);
                }
            }
            catch (HttpRequestException)
            {
                // The server was killed mid-request.
            }
            catch (TaskCanceledException)
            {
            }
        }

        private void Acknowledge(string? digest)
        {
            _acknowledged = digest;
            _inFlight = null;
            Acknowledged++;
        }
    }
}
