using System.Diagnostics;
using System.Net;

namespace Berth.Testing.Backends;

/// <summary>
/// CNCF Distribution (Debian's docker-registry package) on a free loopback port, filesystem storage in a
/// temporary folder, deletes enabled. When the binary is missing the tests fail with a message that says what
/// to install: they never skip silently, or a green run would hide that nothing was tested.
/// </summary>
public sealed class DistributionRegistryProcess : IAsyncDisposable
{
    public const string Binary = "/usr/bin/docker-registry";

    private readonly TemporaryFolder _folder;
    private BackgroundProcess? _process;

    private DistributionRegistryProcess(TemporaryFolder folder, int port)
    {
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public string Host => $"127.0.0.1:{Port}";

    public Uri Address => new($"http://{Host}/");

    /// <param name="extraConfiguration">Extra top-level YAML sections (e.g. "auth:"), given the registry's folder.</param>
    public static async Task<DistributionRegistryProcess> StartAsync(Func<string, string>? extraConfiguration = null)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException(
                $"CNCF Distribution is not installed: {Binary} is missing. Install Debian's package: apt-get install -y docker-registry");
        }
        var folder = new TemporaryFolder("berth-distribution");
        var log = "";
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var registry = new DistributionRegistryProcess(folder, FreePort.Next());
            var config = Path.Combine(folder.Path, "config.yml");
            await File.WriteAllTextAsync(config, $"""
                version: 0.1
                log:
                  level: error
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: {Path.Combine(folder.Path, "data")}
                  delete:
                    enabled: true
                  maintenance:
                    uploadpurging:
                      enabled: false
                http:
                  addr: {registry.Host}
                health:
                  storagedriver:
                    enabled: false
                {extraConfiguration?.Invoke(folder.Path)}
                """);
            // Distribution cannot report a port it picked itself, so a port taken meanwhile means another attempt.
            registry._process = BackgroundProcess.Start(new ProcessStartInfo(Binary, ["serve", config]));
            if (await registry.WaitUntilReadyAsync()) return registry;
            log += registry._process.Log;
            await registry._process.DisposeAsync();
        }
        folder.Dispose();
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
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening, or not answering, yet.
            }
            await Task.Delay(100);
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null) await _process.DisposeAsync();
        _folder.Dispose();
    }
}
