using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Berth.Reliability.Tests.Support;
using Xunit.Abstractions;

namespace Berth.Reliability.Tests;

/// <summary>
/// 64 concurrent clients pushing and pulling for a set time: zero errors allowed; latency reported.
/// Runs 5 seconds by default (CI); BERTH_SOAK_SECONDS=600 makes it a real soak.
/// </summary>
public sealed class SoakTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Reliability")]
    public async Task SixtyFourClients_PushAndPull_WithoutErrors()
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("BERTH_SOAK_SECONDS"), out var configured) ? configured : 5;
        await using var server = await InProcessBerth.StartAsync();
        var shared = new byte[64 * 1024];
        new Random(3).NextBytes(shared);
        var latencies = new ConcurrentBag<double>();
        var errors = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 64 };
        var clients = Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
        {
            using var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(30) };
            var random = new Random(i);
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.StartNew();
                try
                {
                    var image = ImageWriter.Compose($"soak/repo{i % 8}", shared, random);
                    await ImageWriter.PushBlobsAsync(http, image);
                    var status = await ImageWriter.PutManifestAsync(http, image, $"client{i}");
                    if (status != HttpStatusCode.Created) errors.Add($"manifest PUT {status}");
                    await ImageWriter.AssertCompleteAsync(http, image.Repository, image.ManifestDigest);
                    latencies.Add(started.Elapsed.TotalMilliseconds);
                }
                catch (Exception e) when (e is not Xunit.Sdk.XunitException)
                {
                    errors.Add(e.Message);
                }
            }
        })).ToArray();
        await Task.WhenAll(clients);

        var sorted = latencies.Order().ToArray();
        output.WriteLine($"{sorted.Length} push+pull round trips in {seconds} s by 64 clients " +
                         $"({sorted.Length / (double)seconds:0.0}/s); latency p50 {Percentile(sorted, 0.5):0.0} ms, " +
                         $"p99 {Percentile(sorted, 0.99):0.0} ms, max {sorted.LastOrDefault():0.0} ms; errors {errors.Count}");
        Assert.Empty(errors);
        Assert.NotEmpty(sorted);
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
