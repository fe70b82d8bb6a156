namespace Berth.Server.Tests.Support;

/// <summary>A test that needs the skopeo executable; skipped (with the reason) where it is not installed.</summary>
public sealed class SkopeoFactAttribute : FactAttribute
{
    public SkopeoFactAttribute()
    {
        if (Skopeo.Path is null) Skip = "skopeo is not installed (Debian package: skopeo)";
    }
}

/// <summary>Runs skopeo with a time limit and captures what it printed.</summary>
public static class Skopeo
{
    public static string? Path { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(folder => System.IO.Path.Combine(folder, "skopeo"))
        .FirstOrDefault(File.Exists);

    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(Path ?? "skopeo")
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
