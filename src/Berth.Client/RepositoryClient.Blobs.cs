using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Berth.Client.Errors;
using Berth.Client.Transfers;
using Berth.Oci.Digests;
using Berth.Oci.Protocol;

namespace Berth.Client;

/// <summary>What pushing one blob did.</summary>
/// <param name="Resumes">Times the upload went on from where the registry had got to after a dropped connection.</param>
/// <param name="Restarts">Times the registry had dropped the session (as CNCF Distribution does after a broken request) and the upload began again.</param>
public sealed record BlobPushResult(Digest Digest, long Size, BlobPushOutcome Outcome, int Resumes, int Restarts = 0);

public enum BlobPushOutcome
{
    Uploaded,
    /// <summary>The repository already had it (HEAD 200): nothing was sent.</summary>
    AlreadyPresent,
    /// <summary>Cross-repository mount (end-11): linked without sending the bytes.</summary>
    Mounted,
}

/// <summary>Blobs: end-2 (HEAD/GET), end-4/5/6 (uploads), end-10 (delete), end-11 (mount), end-13 (upload status).</summary>
public sealed partial class RepositoryClient
{
    /// <summary>HEAD a blob: its size, or null when the repository does not have it.</summary>
    public async Task<long?> GetBlobSizeAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, Path($"blobs/{digest}"));
        using var response = await SendAsync(request, PullScope, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return response.Content.Headers.ContentLength ?? 0;
    }

    /// <summary>
    /// Opens a blob for reading. The stream verifies the digest as it is read (its final read throws
    /// <see cref="DigestMismatchException"/> otherwise) and resumes after a dropped connection.
    /// </summary>
    public async Task<ResumableBlobReadStream> OpenBlobAsync(Digest digest, long? expectedSize = null, CancellationToken cancellationToken = default)
    {
        var stream = new ResumableBlobReadStream(async (range, token) =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, Path($"blobs/{digest}"));
            ResumableBlobReadStream.ApplyRange(request, range);
            return await SendAsync(request, PullScope, token, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        }, digest, expectedSize, Registry.Options.TransferResumeAttempts);
        try
        {
            await stream.OpenAsync(cancellationToken).ConfigureAwait(false);
            return stream;
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Downloads a blob into <paramref name="destination"/>, verified and resumable; returns its size.</summary>
    public async Task<long> PullBlobAsync(Digest digest, Stream destination, long? expectedSize = null, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        await using var source = await OpenBlobAsync(digest, expectedSize, cancellationToken).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(128 * 1024);
        try
        {
            long total = 0;
            while (true)
            {
                var read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0) return total;
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                total += read;
                progress?.Report(total);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Pushes bytes already in memory.</summary>
    public Task<BlobPushResult> PushBlobAsync(byte[] content, CancellationToken cancellationToken = default) =>
        PushBlobAsync(new MemoryStream(content, writable: false), Digest.Compute(DigestAlgorithm.Sha256, content), content.Length,
            cancellationToken: cancellationToken);

    /// <summary>
    /// Pushes a blob whose digest and size are known, unless the repository has it already. Up to
    /// <see cref="RegistryClientOptions.MonolithicUploadLimit"/> it is one PUT (end-4b, POST then PUT);
    /// above, PATCH chunks of <see cref="RegistryClientOptions.ChunkSize"/> with Content-Range (end-5).
    /// If the connection drops, the upload's status (end-13) tells how much arrived, and the upload goes
    /// on from there: from the chunk still in memory, or by seeking a seekable source.
    /// </summary>
    public async Task<BlobPushResult> PushBlobAsync(Stream source, Digest digest, long size, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (await GetBlobSizeAsync(digest, cancellationToken).ConfigureAwait(false) is not null)
        {
            progress?.Report(size);
            return new BlobPushResult(digest, size, BlobPushOutcome.AlreadyPresent, 0);
        }
        var location = await StartUploadAsync(cancellationToken).ConfigureAwait(false);
        var upload = new ChunkedUpload(this, location, source, size, progress);
        if (size <= Registry.Options.MonolithicUploadLimit)
        {
            try
            {
                await CompleteUploadAsync(upload.Location, digest, source, size, progress, cancellationToken).ConfigureAwait(false);
                return new BlobPushResult(digest, size, BlobPushOutcome.Uploaded, 0);
            }
            catch (Exception e) when (IsConnectionFailure(e, cancellationToken) && source.CanSeek)
            {
                await upload.ResumeAfterFailureAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        await upload.SendRemainingAsync(cancellationToken).ConfigureAwait(false);
        await CompleteUploadAsync(upload.Location, digest, null, 0, null, cancellationToken).ConfigureAwait(false);
        return new BlobPushResult(digest, size, BlobPushOutcome.Uploaded, upload.Resumes, upload.Restarts);
    }

    /// <summary>
    /// Cross-repository mount (end-11): 201 means the blob is now linked here; 202 means the registry
    /// opened an ordinary upload instead, which we cancel so no session is left behind.
    /// </summary>
    public async Task<bool> TryMountBlobAsync(Digest digest, string fromRepository, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post,
            Path($"blobs/uploads/?mount={Uri.EscapeDataString(digest.ToString())}&from={Uri.EscapeDataString(fromRepository)}"));
        using var response = await SendAsync(request, [Auth.RequestScopes.PullPush(Name), Auth.RequestScopes.Pull(fromRepository)], cancellationToken)
            .ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Created) return true;
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Accepted && response.Headers.Location is not null)
        {
            using var cancel = new HttpRequestMessage(HttpMethod.Delete, Registry.ResolveLocation(response));
            using var cancelled = await SendAsync(cancel, PushScope, cancellationToken).ConfigureAwait(false);
        }
        return false;
    }

    /// <summary>DELETE a blob (end-10).</summary>
    public async Task DeleteBlobAsync(Digest digest, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, Path($"blobs/{digest}"));
        using var response = await SendAsync(request, DeleteScope, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POST without a body opens a session (end-4a). Being bodiless, it also settles authentication before any bytes flow.</summary>
    private async Task<Uri> StartUploadAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path("blobs/uploads/"));
        using var response = await SendAsync(request, PushScope, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        return Registry.ResolveLocation(response);
    }

    private async Task CompleteUploadAsync(Uri location, Digest digest, Stream? body, long length, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, WithQuery(location, "digest", digest.ToString()));
        if (body is not null)
        {
            request.Content = new StreamContent(new ProgressReportingStream(body, 0, progress), 128 * 1024);
            request.Content.Headers.ContentLength = length;
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        }
        using var response = await SendAsync(request, PushScope, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        progress?.Report(length);
    }

    /// <summary>Upload Location URLs may carry their own query (Distribution's _state), so parameters are appended.</summary>
    private static Uri WithQuery(Uri location, string name, string value)
    {
        var separator = string.IsNullOrEmpty(location.Query) ? "?" : "&";
        return new Uri(location + separator + name + "=" + Uri.EscapeDataString(value));
    }

    internal static bool IsConnectionFailure(Exception e, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && e is HttpRequestException or IOException
        && e is not RegistryRequestException;

    /// <summary>The state of a chunked upload: where the registry says it is, and the chunk in flight.</summary>
    private sealed class ChunkedUpload(RepositoryClient repository, Uri location, Stream source, long size, IProgress<long>? progress)
    {
        private byte[]? _chunk;
        private long _chunkStart;
        private int _chunkLength;
        private long _sourcePosition;

        public Uri Location { get; private set; } = location;

        /// <summary>Bytes the registry has acknowledged.</summary>
        public long Offset { get; private set; }

        public int Resumes { get; private set; }

        public int Restarts { get; private set; }

        public async Task SendRemainingAsync(CancellationToken cancellationToken)
        {
            var chunkSize = repository.Registry.Options.ChunkSize;
            _chunk = ArrayPool<byte>.Shared.Rent(chunkSize);
            try
            {
                while (Offset < size)
                {
                    await FillChunkAsync(chunkSize, cancellationToken).ConfigureAwait(false);
                    var from = (int)(Offset - _chunkStart);
                    try
                    {
                        await PatchAsync(_chunk.AsMemory(from, _chunkLength - from), cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (Resumes < repository.Registry.Options.TransferResumeAttempts
                        && (IsConnectionFailure(e, cancellationToken) || IsOutOfStep(e)))
                    {
                        await ResumeAfterFailureAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(_chunk);
                _chunk = null;
            }
        }

        /// <summary>
        /// After a broken request the registry may still be finishing it when we ask for the status, so
        /// the next PATCH can meet a different offset (416) or a session the registry has since
        /// cancelled (404, CNCF Distribution); asking for the status again sorts out either.
        /// </summary>
        private bool IsOutOfStep(Exception e) =>
            Resumes > 0 && e is RegistryRequestException { StatusCode: HttpStatusCode.RequestedRangeNotSatisfiable or HttpStatusCode.NotFound };

        /// <summary>Makes the chunk buffer hold the bytes starting at <see cref="Offset"/>.</summary>
        private async Task FillChunkAsync(int chunkSize, CancellationToken cancellationToken)
        {
            if (_chunkLength > 0 && Offset >= _chunkStart && Offset < _chunkStart + _chunkLength) return;
            if (source.CanSeek)
            {
                // After a broken monolithic PUT the source is wherever the transport stopped reading.
                source.Position = Offset;
                _sourcePosition = Offset;
            }
            else if (_sourcePosition != Offset)
            {
                throw new IOException($"the registry has {Offset} bytes but the source is at {_sourcePosition} and cannot seek back");
            }
            _chunkStart = Offset;
            _chunkLength = 0;
            var want = (int)Math.Min(chunkSize, size - Offset);
            while (_chunkLength < want)
            {
                var read = await source.ReadAsync(_chunk.AsMemory(_chunkLength, want - _chunkLength), cancellationToken).ConfigureAwait(false);
                if (read == 0) throw new IOException($"the source ended at {_sourcePosition + _chunkLength} bytes, before the {size} announced");
                _chunkLength += read;
            }
            _sourcePosition += _chunkLength;
        }

        private async Task PatchAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            using var request = new HttpRequestMessage(HttpMethod.Patch, Location) { Content = new ReadOnlyMemoryContent(data) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            // distribution-spec end-5 writes Content-Range as "<start>-<end>", without the "bytes " unit.
            request.Content.Headers.TryAddWithoutValidation(RegistryHeaders.ContentRange, $"{Offset}-{Offset + data.Length - 1}");
            using var response = await repository.SendAsync(request, repository.PushScope, cancellationToken).ConfigureAwait(false);
            await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            Location = repository.Registry.ResolveLocation(response);
            Offset = ParseUploadRange(response) ?? Offset + data.Length;
            progress?.Report(Offset);
        }

        /// <summary>GET the upload's status (end-13): 204 with Range "0-&lt;last&gt;" and a fresh Location.</summary>
        public async Task ResumeAfterFailureAsync(CancellationToken cancellationToken)
        {
            Resumes++;
            using var request = new HttpRequestMessage(HttpMethod.Get, Location);
            using var response = await repository.SendAsync(request, repository.PushScope, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound && (source.CanSeek || (_chunkStart == 0 && _chunkLength > 0)))
            {
                // The registry gave the session up (CNCF Distribution cancels an upload whose stored
                // size no longer matches the state in its Location after a broken request): begin
                // again in a new session, which needs the bytes from the start.
                Restarts++;
                Location = await repository.StartUploadAsync(cancellationToken).ConfigureAwait(false);
                Offset = 0;
                progress?.Report(0);
                return;
            }
            await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            if (response.Headers.Location is not null) Location = repository.Registry.ResolveLocation(response);
            Offset = ParseUploadRange(response) ?? 0;
            progress?.Report(Offset);
        }

        /// <summary>
        /// "Range: 0-&lt;end&gt;" is the inclusive last byte received. Registries write "0-0" for an empty
        /// upload too (CNCF Distribution does), so "0-0" is read as nothing received: at worst one byte
        /// is sent again and refused with 416, after which the status is asked again.
        /// </summary>
        private static long? ParseUploadRange(HttpResponseMessage response)
        {
            var range = RawHeader(response, RegistryHeaders.Range);
            if (range is null) return null;
            var dash = range.IndexOf('-');
            if (dash < 0 || !long.TryParse(range[(dash + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var end)) return null;
            return end == 0 ? 0 : end + 1;
        }
    }
}
