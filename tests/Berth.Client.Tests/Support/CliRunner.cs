using System.CommandLine;
using System.Text.Json;

namespace Berth.Client.Tests.Support;

public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public JsonElement Json => JsonDocument.Parse(Output).RootElement;

    public override string ToString() => $"exit {ExitCode}\nstdout: {Output}\nstderr: {Error}";
}

/// <summary>Runs <c>berth</c> commands in-process with their own output writers and credentials folder.</summary>
public sealed class CliRunner : IDisposable
{
    public CliRunner() => Directory.CreateDirectory(ConfigDirectory);

    public string ConfigDirectory { get; } = Path.Combine(Path.GetTempPath(), "berth-cli-config-" + Guid.NewGuid().ToString("N"));

    public async Task<CliResult> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string[] all = [.. args, "--docker-config", ConfigDirectory];
        var exitCode = await BerthCommandLine.RunAsync(all, new InvocationConfiguration { Output = output, Error = error });
        return new CliResult(exitCode, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(ConfigDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
