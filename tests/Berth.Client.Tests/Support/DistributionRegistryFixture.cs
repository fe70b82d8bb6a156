using System.Diagnostics;
using System.Net;

namespace Berth.Client.Tests.Support;

/// <summary>
/// CNCF Distribution (Debian's docker-registry package) on a free loopback port, filesystem storage in
/// a temporary folder, deletes enabled. When the binary is missing the tests fail with a message that
/// says what to install — they never skip silently, or a green run would hide that nothing was tested.
/// </summary>
public class DistributionRegistryFixture : ITestRegistry, IAsyncLifetime
{
    public const string Binary = "/usr/bin/docker-registry";

    private readonly TemporaryFolder _folder = new("berth-distribution");
    private BackgroundProcess? _process;
    private int _port;

    public string Host => $"127.0.0.1:{_port}";

    public bool HonoursConditionalRequests => false;

    public bool HasReferrersApi => false;

    /// <summary>Extra top-level YAML sections, e.g. "auth:".</summary>
    protected virtual string ExtraConfiguration(string root) => "";

    public virtual async Task InitializeAsync()
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException(
                $"CNCF Distribution is not installed: {Binary} is missing. Install Debian's package: apt-get install -y docker-registry");
        }
        var root = _folder.Path;
        var log = "";
        for (var attempt = 0; attempt < 3; attempt++)
        {
            _port = Berth.Testing.Backends.FreePort.Next();
            var config = Path.Combine(root, "config.yml");
            await File.WriteAllTextAsync(config, $"""
                version: 0.1
                log:
                  level: error
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: {Path.Combine(root, "data")}
                  delete:
                    enabled: true
                  maintenance:
                    uploadpurging:
                      enabled: false
                http:
                  addr: 127.0.0.1:{_port}
                health:
                  storagedriver:
                    enabled: false
                {ExtraConfiguration(root)}
                """);
            // Distribution cannot report a port it picked itself, so a port taken meanwhile means another attempt.
            _process = BackgroundProcess.Start(new ProcessStartInfo(Binary, ["serve", config]));
            if (await WaitUntilReadyAsync()) return;
            log += _process.Log;
            await StopProcessAsync();
        }
        throw new InvalidOperationException($"{Binary} did not start answering on loopback: {log}");
    }

    private async Task<bool> WaitUntilReadyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline && !_process!.HasExited)
        {
            try
            {
                using var response = await http.GetAsync($"http://{Host}/v2/");
                // 401 is as good as 200 here: a registry with auth answers /v2/ with a challenge.
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return true;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }
            await Task.Delay(100);
        }
        return false;
    }

    private async Task StopProcessAsync()
    {
        if (_process is null) return;
        await _process.DisposeAsync();
        _process = null;
    }

    public virtual async Task DisposeAsync()
    {
        await StopProcessAsync();
        _folder.Dispose();
    }
}
