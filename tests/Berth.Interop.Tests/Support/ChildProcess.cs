using System.Diagnostics;
using System.Text;

namespace Berth.Interop.Tests.Support;

/// <summary>A client could not be run here (not installed, not root, …): the test fails saying so.</summary>
public sealed class ToolMissingException(string message) : Exception(message);

/// <summary>A command that exited non-zero or ran too long, with everything it printed.</summary>
public sealed class CommandFailedException(string message) : Exception(message);

public sealed record CommandResult(string CommandLine, int ExitCode, string Output, string Error)
{
    public string Describe() =>
        $"`{CommandLine}` exited {ExitCode}\n--- stdout ---\n{Tail(Output)}\n--- stderr ---\n{Tail(Error)}";

    private static string Tail(string text) => text.Length <= 8000 ? text : "…" + text[^8000..];
}

/// <summary>
/// Runs one external command to completion (or a long-running one in the background), with an
/// environment built from scratch so nothing from the test host leaks into the client.
/// </summary>
public static class ChildProcess
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(3);

    public static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment,
        string workingDirectory)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment.Clear();
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return info;
    }

    public static string Describe(ProcessStartInfo info) =>
        string.Join(' ', new[] { info.FileName }.Concat(info.ArgumentList).Select(a => a.Contains(' ') || a.Length == 0 ? $"'{a}'" : a));

    /// <summary>
    /// Runs to completion. Standard output goes to <paramref name="stdout"/> when given (for binary
    /// or large output) instead of being collected as text; <paramref name="standardInput"/> is written
    /// to its standard input (a password for --password-stdin) before that is closed.
    /// </summary>
    public static async Task<CommandResult> RunAsync(ProcessStartInfo info, TimeSpan? timeout = null, Stream? stdout = null,
        string? standardInput = null, CancellationToken cancellationToken = default)
    {
        var commandLine = Describe(info);
        using var process = new Process { StartInfo = info };
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.Start();
        if (standardInput is not null) await process.StandardInput.WriteAsync(standardInput);
        process.StandardInput.Close();
        var readOutput = stdout is null
            ? ReadAllAsync(process.StandardOutput, output)
            : process.StandardOutput.BaseStream.CopyToAsync(stdout, cancellationToken);
        var readError = ReadAllAsync(process.StandardError, error);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout ?? DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            await Task.WhenAll(readOutput, readError);
            throw new CommandFailedException(
                $"`{commandLine}` did not finish within {timeout ?? DefaultTimeout} and was killed\n--- stdout ---\n{output}\n--- stderr ---\n{error}");
        }
        await Task.WhenAll(readOutput, readError);
        return new CommandResult(commandLine, process.ExitCode, output.ToString(), error.ToString());
    }

    private static async Task ReadAllAsync(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[8192];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            lock (into) into.Append(buffer, 0, read);
        }
    }

    /// <summary>The directories searched for clients: the test host's PATH plus the sbin folders.</summary>
    public static string SearchPath()
    {
        var inherited = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        string[] standard = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
        return string.Join(':', inherited.Concat(standard).Distinct());
    }

    /// <summary>The full path of <paramref name="tool"/>, or a clear failure naming the Debian package to install.</summary>
    public static string Require(string tool, string debianPackage)
    {
        foreach (var directory in SearchPath().Split(':'))
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate)) return candidate;
        }
        throw new ToolMissingException(
            $"'{tool}' is not installed, so this interop test cannot run the real client. "
            + $"Install it with: apt-get install -y --no-install-recommends {debianPackage} (.ci/run does this).");
    }
}
