using System.Diagnostics;

namespace Berth.Server.Tests.Support;

/// <summary>
/// A real <c>berth serve</c> process (the CLI built next to the tests) on an ephemeral loopback port.
/// Two of them on one data folder are two processes sharing one store, as in issue 3's last race.
/// </summary>
public sealed class BerthProcess : IAsyncDisposable
{
    private readonly Process _process;

    private BerthProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<BerthProcess> StartAsync(string dataDirectory)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "berth.dll"), "serve",
                     "--listen", "127.0.0.1:0", "--data", dataDirectory, "--log-level", "Warning",
                 })
        {
            start.ArgumentList.Add(argument);
        }
        // Flags win over the environment, but a config file could add policies: keep the process isolated.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("BERTH_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("berth serve did not start");
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                // "Berth registry listening on http://127.0.0.1:PORT/ with data in …"
                const string marker = "listening on ";
                var at = line.IndexOf(marker, StringComparison.Ordinal);
                if (at < 0) continue;
                var url = line[(at + marker.Length)..].Split(' ')[0];
                // Keep draining stdout so the process never blocks on a full pipe.
                _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
                return new BerthProcess(process, new Uri(url));
            }
            throw new InvalidOperationException($"berth serve exited early: {await errors}");
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    /// <summary>The dotnet host running the tests (the SDK exports its path to child processes).</summary>
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host) return host;
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
