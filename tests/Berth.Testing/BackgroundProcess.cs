using System.Diagnostics;

namespace Berth.Testing;

/// <summary>
/// A long-running child process (berth serve, containerd) whose output lines are kept, to wait for a
/// start-up line and to show with a failing test. Dispose kills it and its children.
/// </summary>
public sealed class BackgroundProcess : IAsyncDisposable, IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Task _readers;

    private BackgroundProcess(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
        _readers = Task.WhenAll(ReadLinesAsync(process.StandardOutput), ReadLinesAsync(process.StandardError));
    }

    public string CommandLine { get; }

    public bool HasExited => _process.HasExited;

    public int Id => _process.Id;

    /// <summary>Everything printed so far, stdout and stderr interleaved as read.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines) return [.. _lines];
        }
    }

    public string Log => string.Join('\n', Lines);

    /// <summary>Starts <paramref name="info"/> with its output redirected and its input closed.</summary>
    public static BackgroundProcess Start(ProcessStartInfo info)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.UseShellExecute = false;
        var process = new Process { StartInfo = info };
        process.Start();
        process.StandardInput.Close();
        var commandLine = string.Join(' ', new[] { info.FileName }.Concat(info.ArgumentList).Select(a => a.Contains(' ') || a.Length == 0 ? $"'{a}'" : a));
        return new BackgroundProcess(process, commandLine);
    }

    /// <summary>Waits until a line matches (and returns it), failing with the output if the process exits or time runs out.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var line = Lines.FirstOrDefault(match);
            if (line is not null) return line;
            if (_process.HasExited)
            {
                await _readers;
                line = Lines.FirstOrDefault(match);
                if (line is not null) return line;
                throw new InvalidOperationException($"`{CommandLine}` exited {_process.ExitCode} before {what}\n{Log}");
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"`{CommandLine}` did not report {what} within {timeout}\n{Log}");
            // Polls the kept lines: the readers run on their own, and start-up takes far longer than this.
            await Task.Delay(20);
        }
    }

    /// <summary>SIGKILL to the process and its children: no shutdown hooks, no flushing, as in a crash or power cut.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, then waits for the process to exit and for its last output line.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            {
                UseShellExecute = false,
            });
            if (kill is not null) await kill.WaitForExitAsync();
        }
        await _process.WaitForExitAsync();
        await _readers;
    }

    public void Dispose()
    {
        Kill();
        _readers.Wait(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        await _readers;
        _process.Dispose();
    }

    private async Task ReadLinesAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_lines) _lines.Add(line);
        }
    }
}
