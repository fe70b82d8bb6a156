using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Berth.Auth;
using Berth.Auth.Access;

namespace Berth.Operations.Tests;

/// <summary>/healthz and /readyz (issue 15 item 3): outside /v2/ and authentication, and /readyz follows the data folder.</summary>
public sealed class HealthEndpointTests
{
    [Fact]
    public async Task Probes_AnswerWithoutCredentials_AndNameChecksWithoutDetails()
    {
        await using var berth = await InProcessBerth.StartAsync(server: options => options with
        {
            Auth = new AuthOptions { Access = [new AccessRule { Repositories = "**", Users = ["admin"], Actions = ["pull", "push"] }] },
        });
        using var live = await berth.Client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        using var ready = await berth.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("no-store", ready.Headers.CacheControl?.ToString());
        var body = await ready.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(body);
        Assert.Equal("ready", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(["blobs", "dataWritable", "freeSpace", "metadata"],
            json.RootElement.GetProperty("checks").EnumerateObject().Select(c => c.Name).Order());
        Assert.DoesNotContain(berth.DataDirectory, body);
        // The API itself still asks for credentials.
        Assert.Equal(HttpStatusCode.Unauthorized, (await berth.Client.GetAsync("/v2/")).StatusCode);
    }

    /// <summary>
    /// The folder every upload is written to first is covered by a read-only mount and uncovered again, which needs
    /// root (as CI runs). (A remount of the whole data folder is refused while the metadata database is open for writing.)
    /// </summary>
    [Fact]
    public async Task Readiness_TurnsUnreadyWhenTheDataFolderBecomesUnwritable_AndReadyAfter()
    {
        await using var berth = await InProcessBerth.StartAsync(backend: TestBackend.Embedded);
        await berth.Registry.PushImageAsync("ready/app", "v1", OciContent.RandomBytes(100, 1));
        Assert.Equal(HttpStatusCode.OK, (await berth.Client.GetAsync("/readyz")).StatusCode);

        var uploads = Path.Combine(berth.DataDirectory, "tmp");
        Directory.CreateDirectory(uploads);
        Run("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", uploads);
        try
        {
            using (var unready = await berth.Client.GetAsync("/readyz"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, unready.StatusCode);
                using var json = JsonDocument.Parse(await unready.Content.ReadAsStringAsync());
                Assert.Equal("unready", json.RootElement.GetProperty("status").GetString());
                Assert.Equal("fail", json.RootElement.GetProperty("checks").GetProperty("dataWritable").GetString());
                Assert.Equal("pass", json.RootElement.GetProperty("checks").GetProperty("metadata").GetString());
            }
            // Liveness is not readiness: the process still serves, and reads still work.
            Assert.Equal(HttpStatusCode.OK, (await berth.Client.GetAsync("/healthz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await berth.Client.GetAsync("/v2/ready/app/manifests/v1")).StatusCode);
        }
        finally
        {
            Run("umount", uploads);
        }
        Assert.Equal(HttpStatusCode.OK, (await berth.Client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task Readiness_TurnsUnreadyWhenFreeSpaceIsBelowTheMinimum()
    {
        await using var berth = await InProcessBerth.StartAsync(server: options => options with
        {
            Readiness = new Server.Observability.ReadinessOptions { MinimumFreeBytes = long.MaxValue },
        });
        using var unready = await berth.Client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, unready.StatusCode);
        using var json = JsonDocument.Parse(await unready.Content.ReadAsStringAsync());
        Assert.Equal("fail", json.RootElement.GetProperty("checks").GetProperty("freeSpace").GetString());
        Assert.Equal("pass", json.RootElement.GetProperty("checks").GetProperty("dataWritable").GetString());
    }

    private static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{program} {string.Join(' ', arguments)}' failed ({error.Trim()}); this test mounts a tmpfs and must run as root");
        }
    }
}
