using Berth.Oci.Digests;

namespace Berth.Storage.Blobs;

/// <summary>
/// Content-addressed blob files: blobs/&lt;algorithm&gt;/&lt;first two hex&gt;/&lt;hex&gt;. A file only appears
/// under its digest by an atomic rename after it was fully written, verified and fsynced, so a reader
/// never sees a partial blob, even after a crash. Blobs are stored once and shared by all repositories;
/// which repository may see a blob is metadata.
/// </summary>
public sealed class FileSystemBlobStore : IBlobStore
{
    private readonly DataDirectory _directory;
    private readonly TimeProvider _time;

    /// <param name="time">The clock that stamps a blob's storage time (garbage collection's grace period counts from it).</param>
    public FileSystemBlobStore(DataDirectory directory, TimeProvider? time = null)
    {
        _directory = directory;
        _time = time ?? TimeProvider.System;
    }

    public string PathOf(Digest digest) =>
        Path.Combine(_directory.Blobs, digest.Algorithm.Name, digest.Encoded[..2], digest.Encoded);

    public BlobInfo? Find(Digest digest)
    {
        var info = new FileInfo(PathOf(digest));
        return info.Exists ? new BlobInfo(info.Length, info.LastWriteTimeUtc, info.FullName) : null;
    }

    public ValueTask<BlobInfo?> FindAsync(Digest digest, CancellationToken cancellationToken = default) => ValueTask.FromResult(Find(digest));

    public Task<Stream> OpenReadAsync(Digest digest, long offset, long length, CancellationToken cancellationToken = default)
    {
        FileStream file;
        try
        {
            file = new FileStream(PathOf(digest), FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16,
                FileOptions.SequentialScan | FileOptions.Asynchronous);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new FileNotFoundException($"blob {digest} is not stored", e);
        }
        file.Position = offset;
        return Task.FromResult<Stream>(new LengthLimitedStream(file, length));
    }

    public ValueTask<long> RemoveIfOlderThanAsync(Digest digest, DateTimeOffset notAfter, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(RemoveIfOlderThan(digest, notAfter));

    public Task<string> QuarantineAsync(Digest digest, CancellationToken cancellationToken = default) =>
        Task.FromResult(Quarantine(digest, _directory.Quarantine));

    public async IAsyncEnumerable<Digest> EnumerateAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var digest in EnumerateAll())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return digest;
        }
        await Task.CompletedTask;
    }

    /// <summary>
    /// Moves a verified, fsynced file into place under its digest. If the blob already exists, the new
    /// copy is discarded: identical digest means identical content.
    /// </summary>
    public void Commit(string verifiedFile, Digest digest)
    {
        var target = PathOf(digest);
        var folder = Path.GetDirectoryName(target)!;
        DataDirectory.CreatePrivateFolder(folder);
        try
        {
            File.Move(verifiedFile, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            File.Delete(verifiedFile);
            // Fresh again: garbage collection spares blobs touched within its grace period, so the copy
            // this upload is about to link cannot be collected underneath it.
            File.SetLastWriteTimeUtc(target, _time.GetUtcNow().UtcDateTime);
            return;
        }
        // The upload's last write may be old (a client that paused before its closing PUT); the blob is
        // new to the store now, and garbage collection's grace period counts from here.
        File.SetLastWriteTimeUtc(target, _time.GetUtcNow().UtcDateTime);
        // The rename is durable only once the directory entry is on disk.
        DirectorySync.Flush(folder);
    }

    /// <summary>
    /// Removes a blob file unless it was written or touched after <paramref name="notAfter"/>. Only
    /// garbage collection calls this, never a client request. Returns the bytes freed, or -1.
    /// </summary>
    public long RemoveIfOlderThan(Digest digest, DateTimeOffset notAfter)
    {
        var info = new FileInfo(PathOf(digest));
        if (!info.Exists || info.LastWriteTimeUtc > notAfter.UtcDateTime) return -1;
        var length = info.Length;
        info.Delete();
        return length;
    }

    /// <summary>Moves a damaged blob aside (never deletes it) so it is no longer served under its digest.</summary>
    public string Quarantine(Digest digest, string quarantineFolder)
    {
        DataDirectory.CreatePrivateFolder(quarantineFolder);
        var target = Path.Combine(quarantineFolder, $"{digest.Algorithm.Name}-{digest.Encoded}-{_time.GetUtcNow():yyyyMMddTHHmmss}");
        File.Move(PathOf(digest), target);
        return target;
    }

    /// <summary>Every digest stored on disk, for garbage collection and integrity checks.</summary>
    public IEnumerable<Digest> EnumerateAll()
    {
        foreach (var algorithmFolder in Directory.EnumerateDirectories(_directory.Blobs))
        {
            var algorithm = Path.GetFileName(algorithmFolder);
            foreach (var file in Directory.EnumerateFiles(algorithmFolder, "*", SearchOption.AllDirectories))
            {
                if (Digest.TryParse($"{algorithm}:{Path.GetFileName(file)}", out var digest)) yield return digest;
            }
        }
    }
}
