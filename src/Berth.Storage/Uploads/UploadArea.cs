using System.Buffers;
using System.Collections.Concurrent;
using Berth.Oci.Digests;
using Berth.Storage.Blobs;

namespace Berth.Storage.Uploads;

/// <summary>
/// The bytes of blob uploads in progress, one file per upload id under uploads/. Each upload keeps a
/// running hash in memory so the final digest is known the moment the last byte arrives; the data is
/// never read back to verify it. After a restart (or if another process appended), the hash state is
/// rebuilt once from the file's bytes so the upload can continue.
/// </summary>
public sealed class UploadArea : IUploadStore
{
    private const int BufferSize = 1 << 20;

    private readonly DataDirectory _directory;
    private readonly FileSystemBlobStore _blobs;
    private readonly ConcurrentDictionary<string, UploadState> _states = new(StringComparer.Ordinal);

    public UploadArea(DataDirectory directory, FileSystemBlobStore blobs)
    {
        _directory = directory;
        _blobs = blobs;
    }

    private string PathOf(string id) => Path.Combine(_directory.Uploads, id);

    /// <summary>Owner-only, like everything in the data folder; the blob it becomes keeps that mode.</summary>
    public Task CreateAsync(string id, DigestAlgorithm algorithm, CancellationToken cancellationToken = default)
    {
        DataDirectory.CreatePrivateFile(PathOf(id)).Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Bytes received so far, or -1 if the upload's data is gone.</summary>
    public Task<long> LengthOfAsync(string id, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(PathOf(id));
        return Task.FromResult(info.Exists ? info.Length : -1);
    }

    /// <summary>
    /// Appends the request body at <paramref name="expectedOffset"/> (when given) and returns the new
    /// length. A body that breaks off midway keeps what arrived: the file and the hash stay consistent,
    /// and the client can ask for the offset and resume. When <paramref name="exactLength"/> is given
    /// (a chunk with Content-Range), a body of any other length is not kept at all.
    /// </summary>
    public async Task<AppendResult> AppendAsync(string id, DigestAlgorithm algorithm, Stream body, long? expectedOffset,
        long? maxLength, long? exactLength = null, CancellationToken cancellationToken = default)
    {
        var state = _states.GetOrAdd(id, _ => new UploadState());
        await state.Lock.WaitAsync(cancellationToken);
        try
        {
            FileStream opened;
            try
            {
                opened = new FileStream(PathOf(id), FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.Asynchronous);
            }
            catch (FileNotFoundException)
            {
                return new AppendResult(AppendStatus.Unknown, -1);
            }
            await using var file = opened;
            await EnsureHashCurrentAsync(state, algorithm, file, cancellationToken);
            if (expectedOffset is { } offset && offset != file.Length)
            {
                return new AppendResult(AppendStatus.OffsetMismatch, file.Length);
            }

            var start = file.Length;
            file.Position = start;
            var flushedUpTo = start;
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                while (true)
                {
                    var read = await body.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken);
                    if (read == 0) break;
                    if (exactLength is { } tooLong && file.Length - start + read > tooLong)
                    {
                        return Discard(state, file, start, AppendStatus.LengthMismatch);
                    }
                    if (maxLength is { } limit && file.Length + read > limit)
                    {
                        return new AppendResult(AppendStatus.TooLarge, file.Length);
                    }
                    // Hash only what has been written, so the hash always describes the file exactly.
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                    state.Hasher!.Append(buffer.AsSpan(0, read));
                    if (file.Length - flushedUpTo >= WriteBehind.Interval)
                    {
                        WriteBehind.Start(file.SafeFileHandle, flushedUpTo, file.Length - flushedUpTo);
                        flushedUpTo = file.Length;
                    }
                }
                if (exactLength is { } exact && file.Length - start != exact)
                {
                    return Discard(state, file, start, AppendStatus.LengthMismatch);
                }
            }
            catch
            {
                // A failed write may leave bytes the hash has not seen; cut the file back to the hash.
                TryTruncate(file, state.Hasher!.Length);
                throw;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            return new AppendResult(AppendStatus.Appended, file.Length);
        }
        finally
        {
            state.Lock.Release();
        }
    }

    /// <summary>
    /// Finishes an upload: compares the running hash with the digest the client claims, fsyncs and
    /// renames the file into the blob store. On mismatch the upload is left as it was.
    /// </summary>
    public async Task<CompleteResult> CompleteAsync(string id, DigestAlgorithm sessionAlgorithm, Digest expected, CancellationToken cancellationToken)
    {
        var state = _states.GetOrAdd(id, _ => new UploadState());
        await state.Lock.WaitAsync(cancellationToken);
        try
        {
            var path = PathOf(id);
            long length;
            Digest actual;
            await using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.Asynchronous))
            {
                if (expected.Algorithm == sessionAlgorithm)
                {
                    await EnsureHashCurrentAsync(state, sessionAlgorithm, file, cancellationToken);
                    actual = state.Hasher!.Current();
                }
                else
                {
                    // The client announced one algorithm and closed with another: the only case where the
                    // bytes are hashed again.
                    using var other = new DigestHasher(expected.Algorithm);
                    await HashFileAsync(file, other, cancellationToken);
                    actual = other.Current();
                }
                length = file.Length;
                if (actual != expected) return new CompleteResult(false, actual, length);
                file.Flush(flushToDisk: true);
            }
            _blobs.Commit(path, expected);
            Forget(id);
            return new CompleteResult(true, actual, length);
        }
        finally
        {
            state.Lock.Release();
        }
    }

    public Task DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        Delete(id);
        return Task.CompletedTask;
    }

    private void Delete(string id)
    {
        Forget(id);
        try
        {
            File.Delete(PathOf(id));
        }
        catch (IOException)
        {
            // Already gone, or being completed by another request: either way nothing is left to cancel.
        }
    }

    private void Forget(string id)
    {
        if (_states.TryRemove(id, out var state)) state.Hasher?.Dispose();
    }

    private static async Task EnsureHashCurrentAsync(UploadState state, DigestAlgorithm algorithm, FileStream file, CancellationToken cancellationToken)
    {
        if (state.Hasher is { } hasher && hasher.Algorithm == algorithm && hasher.Length == file.Length) return;
        state.Hasher?.Dispose();
        state.Hasher = new DigestHasher(algorithm);
        await HashFileAsync(file, state.Hasher, cancellationToken);
    }

    private static async Task HashFileAsync(FileStream file, DigestHasher hasher, CancellationToken cancellationToken)
    {
        file.Position = 0;
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int read;
            while ((read = await file.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                hasher.Append(buffer.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Cuts the file back to <paramref name="length"/>. A hash cannot be rewound, so it is dropped and
    /// rebuilt from the file by the next request.
    /// </summary>
    private static AppendResult Discard(UploadState state, FileStream file, long length, AppendStatus status)
    {
        file.SetLength(length);
        state.Hasher?.Dispose();
        state.Hasher = null;
        return new AppendResult(status, length);
    }

    private static void TryTruncate(FileStream file, long length)
    {
        try
        {
            file.SetLength(length);
        }
        catch (IOException)
        {
            // The next append rebuilds the hash from the file, so a failed truncate stays consistent.
        }
    }

    private sealed class UploadState
    {
        public SemaphoreSlim Lock { get; } = new(1, 1);
        public DigestHasher? Hasher { get; set; }
    }
}
