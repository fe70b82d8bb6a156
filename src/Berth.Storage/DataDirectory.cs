namespace Berth.Storage;

/// <summary>
/// The layout of a Berth data folder. Every path the storage layer touches is built here from a
/// validated digest or a server-generated id, never from raw client input, so nothing escapes the root.
/// </summary>
public sealed class DataDirectory
{
    public DataDirectory(string root)
    {
        Root = Path.GetFullPath(root);
        Blobs = Path.Combine(Root, "blobs");
        Uploads = Path.Combine(Root, "uploads");
        Temporary = Path.Combine(Root, "tmp");
        MetadataDatabase = Path.Combine(Root, "metadata.db");
        Quarantine = Path.Combine(Root, "quarantine");
    }

    public string Root { get; }
    public string Blobs { get; }
    public string Uploads { get; }
    public string Temporary { get; }
    public string MetadataDatabase { get; }

    /// <summary>Where integrity checks move damaged blobs; nothing is ever silently deleted.</summary>
    public string Quarantine { get; }

    /// <summary>Creates the folder tree on first start; the embedded default needs no set-up.</summary>
    public void EnsureCreated()
    {
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(Blobs);
        Directory.CreateDirectory(Uploads);
        Directory.CreateDirectory(Temporary);
    }
}
