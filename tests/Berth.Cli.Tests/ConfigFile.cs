namespace Berth.Cli.Tests;

/// <summary>A JSON config file in the temporary folder, deleted on dispose.</summary>
internal sealed class ConfigFile : IDisposable
{
    public ConfigFile(string json)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "berth-config-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(Path, json);
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
