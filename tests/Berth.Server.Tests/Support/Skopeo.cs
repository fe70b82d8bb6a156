namespace Berth.Server.Tests.Support;

/// <summary>Runs skopeo with a time limit and captures what it printed.</summary>
public static class Skopeo
{
    public static string? Path { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(folder => System.IO.Path.Combine(folder, "skopeo"))
        .FirstOrDefault(File.Exists);

    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        // Never skip: a green run that tested nothing would hide it. CI installs the package.
        Assert.True(Path is not null, "skopeo is not installed; install Debian's package: apt-get install -y skopeo");
        var start = new System.Diagnostics.ProcessStartInfo(Path!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // No policy file or registries configuration of the machine is needed or read.
        start.ArgumentList.Add("--insecure-policy");
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("skopeo did not finish within 60 s");
        }
        return (process.ExitCode, await stdout + await stderr);
    }
}
