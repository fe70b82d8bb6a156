using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Berth.Reliability.Tests.Support;

/// <summary>`berth serve` as a child process on a free loopback port, which a test can kill -9.</summary>
public sealed class BerthProcess : IDisposable
{
    private readonly Process _process;

    private BerthProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public static async Task<BerthProcess> StartAsync(string dataDirectory, int? port = null)
    {
        port ??= FreePort();
        var executable = Path.Combine(AppContext.BaseDirectory, "berth.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { executable, "serve", "--listen", $"127.0.0.1:{port}", "--data", dataDirectory, "--log-level", "Warning" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start berth serve");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = new Uri($"http://127.0.0.1:{port}/");
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"berth serve exited with code {process.ExitCode}");
            try
            {
                using var response = await probe.GetAsync("/v2/");
                if (response.StatusCode == HttpStatusCode.OK) return new BerthProcess(process, address);
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(50);
        }
        process.Kill(entireProcessTree: true);
        throw new TimeoutException("berth serve did not answer within 30 s");
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing; exactly what a crash or power cut looks like to the process.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
