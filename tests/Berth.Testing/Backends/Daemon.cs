using System.Diagnostics;

namespace Berth.Testing.Backends;

/// <summary>
/// A backend process started by a test: output appended to a log file in the backend's folder, stopped
/// by its own PID (never by name), and killed by a watchdog if the test process dies first, so a
/// crashed run leaves nothing behind.
/// </summary>
public sealed class Daemon
{
    private readonly Process _process;

    private Daemon(string name, Process process, string logFile)
    {
        Name = name;
        _process = process;
        LogFile = logFile;
    }

    public string Name { get; }
    public string LogFile { get; }
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Starts <paramref name="program"/> through exec, so the PID is the daemon's own.</summary>
    public static Daemon Start(string name, string program, IEnumerable<string> arguments, string logFile,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var command = "exec " + Quote(program) + " " + string.Join(' ', arguments.Select(Quote)) + " </dev/null >>" + Quote(logFile) + " 2>&1";
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        WatchOwner(process.Id);
        return new Daemon(name, process, logFile);
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited) return;
        Signal("TERM");
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>kill -9, for fault tests.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill();
    }

    public string LogTail(int lines = 15)
    {
        try
        {
            return string.Join('\n', File.ReadLines(LogFile).TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, _process.Id.ToString()]) { UseShellExecute = false });
        kill?.WaitForExit();
    }

    /// <summary>
    /// A tiny shell loop that kills the daemon once this test process is gone (xunit's runner may be
    /// killed without running any finalizer or exit handler).
    /// </summary>
    private static void WatchOwner(int daemonPid)
    {
        var owner = Environment.ProcessId;
        var script = $"trap '' HUP; while kill -0 {owner} 2>/dev/null && kill -0 {daemonPid} 2>/dev/null; do sleep 1; done; kill -9 {daemonPid} 2>/dev/null";
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script + " </dev/null >/dev/null 2>&1");
        using var _ = Process.Start(start);
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";
}
