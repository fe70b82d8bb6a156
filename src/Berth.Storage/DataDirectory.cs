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

    /// <summary>Owner only (0700): blobs, metadata and upload bytes are nobody else's to read on this machine.</summary>
    public const UnixFileMode PrivateFolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Owner only (0600), for every file Berth creates in the data folder.</summary>
    public const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Creates the folder tree on first start; the embedded default needs no set-up. Everything is created
    /// owner-only, and the root is made owner-only even if it existed (created by an older version, or by the
    /// key store of authentication first), which closes everything beneath it to other users.
    /// </summary>
    public void EnsureCreated()
    {
        CreatePrivateFolder(Root);
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(Root) & ~PrivateFolderMode) != 0) File.SetUnixFileMode(Root, PrivateFolderMode);
        CreatePrivateFolder(Blobs);
        CreatePrivateFolder(Uploads);
        CreatePrivateFolder(Temporary);
        // SQLite creates metadata.db-wal and -shm with the database file's permissions, so creating the
        // (empty, which SQLite takes as new) database file owner-only covers all three.
        if (!File.Exists(MetadataDatabase))
        {
            try
            {
                CreatePrivateFile(MetadataDatabase).Dispose();
            }
            catch (IOException) when (File.Exists(MetadataDatabase))
            {
                // Another process opening the same folder created it first.
            }
        }
    }

    /// <summary>Creates a folder (and any missing parents) owner-only; an existing folder is left as it is.</summary>
    public static void CreatePrivateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        // Directory.CreateDirectory(path, mode) gives the mode to the last folder only and creates missing
        // parents with the default, so each missing level is created here, outermost first.
        var missing = new Stack<string>();
        for (var folder = Path.GetFullPath(path); !Directory.Exists(folder); folder = Path.GetDirectoryName(folder)!)
        {
            missing.Push(folder);
            if (Path.GetDirectoryName(folder) is null) break;
        }
        while (missing.TryPop(out var folder)) Directory.CreateDirectory(folder, PrivateFolderMode);
    }

    /// <summary>Creates a new file owner-only and opens it for writing; fails if it exists.</summary>
    public static FileStream CreatePrivateFile(string path, FileOptions options = FileOptions.None)
    {
        var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = options };
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = PrivateFileMode;
        return new FileStream(path, create);
    }
}
