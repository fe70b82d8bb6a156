using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Berth.Client.Tests.Support;

/// <summary>
/// CNCF Distribution (Debian's docker-registry package) on a free loopback port, filesystem storage in
/// a temporary folder, deletes enabled. When the binary is missing the tests fail with a message that
/// says what to install — they never skip silently, or a green run would hide that nothing was tested.
/// </summary>
public class DistributionRegistryFixture : ITestRegistry, IAsyncLifetime
{
    public const string Binary = "/usr/bin/docker-registry";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "berth-distribution-" + Guid.NewGuid().ToString("N"));
    private Process? _process;
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
        Directory.CreateDirectory(_root);
        var output = new System.Text.StringBuilder();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            _port = FreePort();
            var config = Path.Combine(_root, "config.yml");
            await File.WriteAllTextAsync(config, $"""
                version: 0.1
                log:
                  level: error
                  accesslog:
                    disabled: true
                storage:
                  filesystem:
                    rootdirectory: {Path.Combine(_root, "data")}
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
                {ExtraConfiguration(_root)}
                """);
            var start = new ProcessStartInfo(Binary, ["serve", config])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Binary}");
            _process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            _process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            if (await WaitUntilReadyAsync()) return;
            StopProcess();
        }
        throw new InvalidOperationException($"{Binary} did not start answering on loopback: {output}");
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void StopProcess()
    {
        if (_process is null) return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
        _process = null;
    }

    public virtual Task DisposeAsync()
    {
        StopProcess();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
        return Task.CompletedTask;
    }
}
