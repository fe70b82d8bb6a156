using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Berth.Server.Observability;
using Berth.Testing.Backends;

namespace Berth.Operations.Tests;

/// <summary>/metrics (issue 15 item 1), scraped by a real Prometheus (Debian's package), and its own listener.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Prometheus_ScrapesRequestAndConditionalOutcomeSeries()
    {
        var metricsPort = FreePort.Next();
        await using var berth = await InProcessBerth.StartAsync(server: options => options with
        {
            Metrics = new MetricsOptions { Listen = $"127.0.0.1:{metricsPort}" },
        });
        var http = berth.Client;
        var image = await HttpPushes.PushAsync(http, "scraped/app", "v1", seed: 1);
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/scraped/app/manifests/v1")).StatusCode);
        var conditional = new HttpRequestMessage(HttpMethod.Get, "/v2/scraped/app/manifests/v1");
        conditional.Headers.TryAddWithoutValidation("If-None-Match", $"\"{image.Digest}\"");
        Assert.Equal(HttpStatusCode.NotModified, (await http.SendAsync(conditional)).StatusCode);
        using (var stale = await HttpPushes.PutManifestAsync(http, "scraped/app", "v1", image, ifMatch: "\"sha256:" + new string('1', 64) + "\""))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        }

        using var folder = new TemporaryFolder("berth-prometheus");
        var config = folder.File("prometheus.yml", System.Text.Encoding.UTF8.GetBytes($"""
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: berth
                static_configs:
                  - targets: ['127.0.0.1:{metricsPort}']
            """));
        var webPort = FreePort.Next();
        var start = new ProcessStartInfo("prometheus");
        foreach (var argument in (string[])[$"--config.file={config}", $"--storage.tsdb.path={folder.Sub("tsdb")}",
                     $"--web.listen-address=127.0.0.1:{webPort}"])
        {
            start.ArgumentList.Add(argument);
        }
        await using var prometheus = BackgroundProcess.Start(start);
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{webPort}") };

        var pushes = await QueryUntilAsync(api, prometheus,
            """berth_http_request_duration_seconds_count{route="/v2/{name}/manifests/{reference}",method="PUT",status="201"}""");
        Assert.Equal("1", pushes.Single().Value);
        var pulls = await QueryUntilAsync(api, prometheus,
            """berth_http_request_duration_seconds_count{route="/v2/{name}/manifests/{reference}",method="GET",status="200"}""");
        Assert.Equal("3", pulls.Single().Value);
        var outcomes = await QueryUntilAsync(api, prometheus, "berth_conditional_outcomes_total");
        Assert.Equal(["not_modified", "precondition_failed"], outcomes.Select(o => o.Labels["outcome"]).Order());
        Assert.NotEmpty(await QueryUntilAsync(api, prometheus, "berth_storage_write_duration_seconds_count"));
        Assert.NotEmpty(await QueryUntilAsync(api, prometheus, "dotnet_gc_collections_total"));
    }

    [Fact]
    public async Task Metrics_NeverNameARepository()
    {
        await using var berth = await InProcessBerth.StartAsync();
        await HttpPushes.PushAsync(berth.Client, "secret-team/confidential", "v1", seed: 2);
        await berth.Client.GetAsync("/v2/secret-team/confidential/manifests/v1");
        await berth.Client.GetAsync("/v2/secret-team/confidential/manifests/missing");
        using var metrics = await berth.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains("berth_http_request_duration_seconds_count", text);
        Assert.DoesNotContain("secret-team", text);
        Assert.DoesNotContain("confidential", text);
        Assert.DoesNotContain("missing", text);
    }

    [Fact]
    public async Task OwnListener_ServesOnlyTheOperationsPaths_AndTheRegistryListenerNoMetrics()
    {
        var metricsPort = FreePort.Next();
        await using var berth = await InProcessBerth.StartAsync(server: options => options with
        {
            Metrics = new MetricsOptions { Listen = $"127.0.0.1:{metricsPort}" },
        });
        using var operations = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}") };
        Assert.Equal(HttpStatusCode.OK, (await operations.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await operations.GetAsync("/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await operations.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await operations.GetAsync("/v2/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await berth.Client.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await berth.Client.GetAsync("/v2/")).StatusCode);
        // Probes are also on the registry's listener, where load balancers look for them.
        Assert.Equal(HttpStatusCode.OK, (await berth.Client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task MetricsOff_ServesNoMetrics()
    {
        await using var berth = await InProcessBerth.StartAsync(server: options => options with { Metrics = new MetricsOptions { Enabled = false } });
        Assert.Equal(HttpStatusCode.NotFound, (await berth.Client.GetAsync("/metrics")).StatusCode);
    }

    private sealed record Sample(IReadOnlyDictionary<string, string> Labels, string Value);

    /// <summary>Asks Prometheus's query API until the query has results (the first scrapes take a second or two).</summary>
    private static async Task<IReadOnlyList<Sample>> QueryUntilAsync(HttpClient api, BackgroundProcess prometheus, string query)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            Assert.False(prometheus.HasExited, prometheus.Log);
            try
            {
                using var response = await api.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(query));
                if (response.IsSuccessStatusCode)
                {
                    using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    var results = json.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
                        .Select(r => new Sample(
                            r.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
                            r.GetProperty("value")[1].GetString()!))
                        .ToList();
                    if (results.Count > 0) return results;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (deadline.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"Prometheus returned nothing for {query}\n{prometheus.Log}");
            await Task.Delay(250);
        }
    }
}
