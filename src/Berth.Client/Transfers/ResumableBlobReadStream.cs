using System.Net;
using System.Net.Http.Headers;
using Berth.Client.Errors;
using Berth.Oci.Digests;
using Berth.Oci.Protocol;

namespace Berth.Client.Transfers;

/// <summary>
/// Reads a blob while hashing it, and fails at the end if the bytes do not match the digest, so no
/// caller ever trusts unverified content. When the connection drops mid-body, it reconnects with
/// <c>Range: bytes=&lt;read&gt;-</c> and <c>If-Range: &lt;ETag&gt;</c> (RFC 9110 §14.2, §13.1.5); a 206
/// continues where it stopped, a 200 (the registry ignored the range or the validator changed) is read
/// from the start with the bytes we already have skipped — the content is addressed by its digest, so
/// it is the same content, and the final hash check still covers every byte.
/// </summary>
public sealed class ResumableBlobReadStream : Stream
{
    private readonly Func<RangeRequest, CancellationToken, Task<HttpResponseMessage>> _send;
    private readonly Digest _digest;
    private readonly long? _expectedLength;
    private readonly int _maxResumes;
    private readonly DigestHasher _hasher;
    private HttpResponseMessage? _response;
    private Stream? _body;
    private string? _entityTag;
    private long _position;
    private bool _verified;

    internal ResumableBlobReadStream(Func<RangeRequest, CancellationToken, Task<HttpResponseMessage>> send, Digest digest,
        long? expectedLength, int maxResumes)
    {
        _send = send;
        _digest = digest;
        _expectedLength = expectedLength;
        _maxResumes = maxResumes;
        _hasher = new DigestHasher(digest.Algorithm);
    }

    /// <summary>How often the stream reconnected after a dropped connection.</summary>
    public int Resumes { get; private set; }

    /// <summary>The blob's length as the registry reported it, when known.</summary>
    public long? ContentLength { get; private set; }

    internal readonly record struct RangeRequest(long From, string? IfRange);

    internal async Task OpenAsync(CancellationToken cancellationToken)
    {
        _response = await _send(new RangeRequest(0, null), cancellationToken).ConfigureAwait(false);
        if (_response.StatusCode != HttpStatusCode.OK)
        {
            throw await RegistryRequestException.FromResponseAsync(_response, cancellationToken).ConfigureAwait(false);
        }
        ContentLength = _response.Content.Headers.ContentLength ?? _expectedLength;
        // Only a strong validator may go in If-Range (RFC 9110 §13.1.5), and only the registry's own: after a
        // redirect the ETag is the storage host's, which the registry cannot evaluate, and the next redirect
        // drops If-Range anyway. Without it a resumed range is still safe: the blob is immutable (it is
        // addressed by its digest) and every byte read is verified against that digest.
        _entityTag = _response.Headers.ETag is { IsWeak: false } && !RedirectHandler.CameFromAnotherOrigin(_response)
            ? RepositoryClient.RawHeader(_response, RegistryHeaders.ETag) : null;
        _body = await _response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            int read;
            try
            {
                read = await _body!.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsConnectionFailure(e, cancellationToken) && Resumes < _maxResumes)
            {
                await ReconnectAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (read == 0)
            {
                Verify();
                return 0;
            }
            _hasher.Append(buffer.Span[..read]);
            _position += read;
            return read;
        }
    }

    private async Task ReconnectAsync(CancellationToken cancellationToken)
    {
        Resumes++;
        DisposeResponse();
        _response = await _send(new RangeRequest(_position, _entityTag), cancellationToken).ConfigureAwait(false);
        if (_response.StatusCode == HttpStatusCode.PartialContent)
        {
            var range = _response.Content.Headers.ContentRange;
            if (range?.From != _position)
            {
                throw new IOException($"resuming {_digest} at byte {_position}, the registry sent a range starting at {range?.From}");
            }
            _body = await _response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        if (_response.StatusCode != HttpStatusCode.OK)
        {
            throw await RegistryRequestException.FromResponseAsync(_response, cancellationToken).ConfigureAwait(false);
        }
        _body = await _response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await SkipAsync(_body, _position, cancellationToken).ConfigureAwait(false);
    }

    private static async Task SkipAsync(Stream body, long count, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        while (count > 0)
        {
            var read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new IOException("the blob ended before the point we were resuming from");
            count -= read;
        }
    }

    private void Verify()
    {
        if (_verified) return;
        if (_expectedLength is { } length && length != _position)
        {
            throw new DigestMismatchException(_digest.ToString(), $"{_position} bytes instead of {length}", $"blob {_digest}");
        }
        var actual = _hasher.Current();
        if (actual != _digest) throw new DigestMismatchException(_digest.ToString(), actual.ToString(), $"blob {_digest}");
        _verified = true;
    }

    /// <summary>A reset or truncated body, not a cancellation asked for by the caller.</summary>
    private static bool IsConnectionFailure(Exception e, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && e is IOException or HttpRequestException;

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => ContentLength ?? throw new NotSupportedException();
    public override long Position { get => _position; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void DisposeResponse()
    {
        _body?.Dispose();
        _response?.Dispose();
        _body = null;
        _response = null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeResponse();
            _hasher.Dispose();
        }
        base.Dispose(disposing);
    }

    internal static void ApplyRange(HttpRequestMessage request, RangeRequest range)
    {
        if (range.From <= 0) return;
        request.Headers.Range = new RangeHeaderValue(range.From, null);
        if (range.IfRange is not null) request.Headers.TryAddWithoutValidation("If-Range", range.IfRange);
    }
}
