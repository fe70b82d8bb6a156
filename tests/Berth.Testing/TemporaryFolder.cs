namespace Berth.Testing;

/// <summary>A fresh folder under the system's temporary folder, deleted (best effort) on dispose.</summary>
public sealed class TemporaryFolder : IDisposable
{
    public TemporaryFolder(string prefix = "berth-test")
    {
        Path = NewPath(prefix);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>A path for a folder that does not exist yet (for a server that creates its own data folder).</summary>
    public static string NewPath(string prefix = "berth-test") =>
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");

    /// <summary>Writes <paramref name="content"/> to <paramref name="name"/> inside the folder and returns its path.</summary>
    public string File(string name, byte[] content)
    {
        var path = Sub(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Delete(Path);

    /// <summary>Deletes a folder; a leftover temporary folder is harmless, so failures are ignored.</summary>
    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
