using System.Diagnostics;

namespace Berth.Testing;

/// <summary>A one-shot <c>berth</c> CLI command (the build next to the tests) as a child process.</summary>
public static class BerthCommand
{
    /// <param name="environment">The child's whole environment; null: the test process's.</param>
    public static Task<(int ExitCode, string Output, string Errors)> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] arguments) =>
        RunWithInputAsync(environment, input: null, arguments);

    /// <param name="environment">The child's whole environment; null: the test process's.</param>
    /// <param name="input">Written to the child's stdin, which is then closed (a password prompt's answer).</param>
    /// <remarks>A name of its own: as an overload of RunAsync, <c>RunAsync(env, "events", "--data")</c> would bind the first argument to stdin.</remarks>
    public static async Task<(int ExitCode, string Output, string Errors)> RunWithInputAsync(IReadOnlyDictionary<string, string>? environment, string? input,
        params string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "berth.dll"));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        if (environment is not null)
        {
            start.Environment.Clear();
            foreach (var (name, value) in environment) start.Environment[name] = value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start berth");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (input is not null) await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await errors);
    }

    /// <summary>The test process's environment with changes, for <see cref="RunAsync(IReadOnlyDictionary{string, string}?, string[])"/>.</summary>
    public static Dictionary<string, string> InheritedEnvironment() =>
        Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value ?? "", StringComparer.Ordinal);

    /// <summary>The dotnet host running the tests (the SDK exports its path to child processes).</summary>
    public static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host) return host;
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}
