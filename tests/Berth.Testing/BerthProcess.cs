using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Berth.Testing;

/// <summary>How to run <c>berth serve</c> as a child process.</summary>
public sealed record BerthProcessOptions
{
    public required string DataDirectory { get; init; }

    /// <summary>The --log-level; Information also logs every request (interop tests read that log).</summary>
    public string LogLevel { get; init; } = "Warning";

    /// <summary>
    /// The child's whole environment. Null: the test host's, less every BERTH_* variable, so no setting of
    /// the host (a config file, policies, a test backend) changes what the child serves.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// The stores to serve from, passed as BERTH_ variables: null keeps the embedded stores in the data folder;
    /// <see cref="TestBackend.Current"/> runs the child on the stores the test run was asked for.
    /// </summary>
    public TestBackend? Backend { get; init; }

    /// <summary>
    /// A <c>berth</c> executable to run (an installed dotnet tool's shim, say); null runs the CLI built next
    /// to the tests with <c>dotnet exec berth.dll</c>.
    /// </summary>
    public string? Executable { get; init; }

    /// <summary>Further <c>serve</c> flags.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];
}

/// <summary>
/// The real <c>berth serve</c> (the CLI built next to the tests) as a child process. It binds port 0
/// and the tests read the address it actually bound from its start-up line, so two processes can never
/// race for a port. Its output lines are kept for diagnostics; <see cref="Kill"/> is a kill -9.
/// </summary>
public sealed partial class BerthProcess : IAsyncDisposable, IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly BackgroundProcess _process;

    private BerthProcess(BackgroundProcess process, Uri address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>The address it bound, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address { get; }

    /// <summary>"127.0.0.1:PORT", as it goes in an image reference.</summary>
    public string Host => $"{Address.Host}:{Address.Port}";

    public bool HasExited => _process.HasExited;

    /// <summary>The process id, e.g. to send it SIGHUP (config reload).</summary>
    public int Id => _process.Id;

    /// <summary>Everything the process printed so far, stdout and stderr interleaved as read.</summary>
    public IReadOnlyList<string> Lines => _process.Lines;

    public string Log => _process.Log;

    public static Task<BerthProcess> StartAsync(string dataDirectory, TestBackend? backend = null) =>
        StartAsync(new BerthProcessOptions { DataDirectory = dataDirectory, Backend = backend });

    public static async Task<BerthProcess> StartAsync(BerthProcessOptions options)
    {
        ProcessStartInfo start;
        if (options.Executable is { } executable)
        {
            start = new ProcessStartInfo(executable) { WorkingDirectory = options.WorkingDirectory ?? "" };
        }
        else
        {
            var berth = Path.Combine(AppContext.BaseDirectory, "berth.dll");
            if (!File.Exists(berth))
            {
                throw new FileNotFoundException("berth.dll is not next to the tests: the test project must reference src/Berth.Cli", berth);
            }
            start = new ProcessStartInfo(BerthCommand.DotnetHost()) { WorkingDirectory = options.WorkingDirectory ?? "" };
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(berth);
        }
        foreach (var argument in (string[])["serve", "--listen", "127.0.0.1:0", "--data", options.DataDirectory, "--log-level", options.LogLevel])
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var argument in options.Arguments) start.ArgumentList.Add(argument);
        if (options.Environment is { } environment)
        {
            start.Environment.Clear();
            foreach (var (name, value) in environment) start.Environment[name] = value;
        }
        else
        {
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("BERTH_", StringComparison.Ordinal)).ToList())
            {
                start.Environment.Remove(name);
            }
        }
        if (options.Backend is { } backend)
        {
            foreach (var (name, value) in await backend.EnvironmentAsync(options.DataDirectory)) start.Environment[name] = value;
        }

        var process = BackgroundProcess.Start(start);
        try
        {
            // "Berth registry listening on http://127.0.0.1:PORT/ with data in …"
            var line = await process.WaitForLineAsync(l => ListeningOn().IsMatch(l), StartTimeout, "that it is listening");
            return new BerthProcess(process, new Uri(ListeningOn().Match(line).Groups["address"].Value));
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILL: no shutdown hooks, no flushing; exactly what a crash or power cut looks like to the process.</summary>
    public void Kill() => _process.Kill();

    /// <summary>SIGTERM, as a service manager stops it: waits for the exit and for everything it printed.</summary>
    public Task StopAsync() => _process.StopAsync();

    public void Dispose() => _process.Dispose();

    public ValueTask DisposeAsync() => _process.DisposeAsync();


    [GeneratedRegex(@"listening on (?<address>https?://\S+?/?) with")]
    private static partial Regex ListeningOn();
}
