using Berth.Oci.Digests;
using Berth.Oci.Errors;
using Berth.Oci.Preconditions;
using Berth.Registry.Operations;

namespace Berth.Registry.Migration;

/// <summary>What a copy did, what it found already in place, and what it could not copy, with the reason.</summary>
public sealed record CopyReport(
    int Repositories,
    int BlobsCopied, int BlobsMounted, int BlobsPresent,
    int ManifestsCopied, int ManifestsPresent,
    int TagsCopied, int TagsPresent,
    long BytesCopied,
    IReadOnlyList<string> Failures)
{
    public bool IsComplete => Failures.Count == 0;
}

/// <summary>
/// Copies a whole registry to another one, typically on other backends (<c>berth migrate</c>: SQLite and files
/// ⇄ PostgreSQL and an object store). Everything goes through the destination's own operations, so every blob
/// is re-hashed against its digest and every manifest validated as if pushed: digests and tags come out
/// identical. Per repository: blob links first, then every manifest by digest (untagged ones and referrers
/// too; an index is refused until its children are there, so refused ones are retried while a round makes
/// progress), then the tags. What the destination already holds identically is left alone, so the copy is
/// idempotent, and a run cut short is completed by running it again. One instance makes one run.
/// </summary>
public sealed class RegistryCopier(BerthRegistry source, BerthRegistry destination)
{
    private const string Actor = "migrate";
    private const int CatalogPage = 1000;

    private readonly List<string> _failures = [];
    private int _blobsCopied, _blobsMounted, _blobsPresent, _manifestsCopied, _manifestsPresent, _tagsCopied, _tagsPresent;
    private long _bytesCopied;

    /// <param name="progress">One line per repository and per item copied (not per item already present).</param>
    public async Task<CopyReport> CopyAsync(IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var repositories = 0;
        foreach (var repository in SourceRepositories())
        {
            cancellationToken.ThrowIfCancellationRequested();
            repositories++;
            progress?.Report($"repository {repository}");
            await CopyBlobsAsync(repository, progress, cancellationToken);
            await CopyManifestsAsync(repository, progress, cancellationToken);
            await CopyTagsAsync(repository, progress, cancellationToken);
        }
        return new CopyReport(repositories, _blobsCopied, _blobsMounted, _blobsPresent, _manifestsCopied, _manifestsPresent,
            _tagsCopied, _tagsPresent, _bytesCopied, [.. _failures]);
    }

    private IEnumerable<string> SourceRepositories()
    {
        string? last = null;
        while (true)
        {
            var page = source.Listings.Catalog(CatalogPage.ToString(System.Globalization.CultureInfo.InvariantCulture), last);
            if (!page.IsSuccess) throw new InvalidOperationException($"cannot list the source's repositories: {page.Error.Message}");
            foreach (var name in page.Value!.Names) yield return name;
            if (page.Value.NextLast is null || page.Value.Names.Count == 0) yield break;
            last = page.Value.NextLast;
        }
    }

    private async Task CopyBlobsAsync(string repository, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        foreach (var digest in source.Export.LinkedBlobs(repository))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var text = digest.ToString();
            if ((await destination.Blobs.ReadAsync(repository, text, RequestPreconditions.None, cancellationToken)).IsSuccess)
            {
                _blobsPresent++;
                continue;
            }
            // Stored once in the destination already (for another repository): link it, do not copy the bytes again.
            var mounted = await destination.Uploads.MountAsync(repository, text, MountSource.AnyRepository);
            if (mounted is { IsSuccess: true, Value: not null })
            {
                _blobsMounted++;
                progress?.Report($"  blob {text} mounted");
                continue;
            }
            var read = await source.Blobs.ReadAsync(repository, text, RequestPreconditions.None, cancellationToken);
            if (!read.IsSuccess)
            {
                _failures.Add($"blob {text} in {repository}: the source lists it but cannot read it ({read.Error.Message})");
                continue;
            }
            await using var content = await source.Blobs.OpenAsync(read.Value!, 0, read.Value!.Blob.Length, cancellationToken);
            var pushed = await destination.Uploads.PushMonolithicAsync(repository, text, content, read.Value!.Blob.Length, cancellationToken);
            if (!pushed.IsSuccess)
            {
                _failures.Add($"blob {text} in {repository}: {pushed.Error.Message}");
                continue;
            }
            _blobsCopied++;
            _bytesCopied += read.Value.Blob.Length;
            progress?.Report($"  blob {text} copied ({read.Value.Blob.Length} bytes)");
        }
    }

    /// <summary>Every manifest by digest, oldest first; those refused for a missing child are retried while a round makes progress.</summary>
    private async Task CopyManifestsAsync(string repository, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var pending = new List<Digest>();
        foreach (var digest in source.Export.ManifestDigests(repository))
        {
            if (destination.Manifests.Read(repository, digest.ToString(), RequestPreconditions.None).IsSuccess) _manifestsPresent++;
            else pending.Add(digest);
        }
        var reasons = new Dictionary<Digest, string>();
        while (pending.Count > 0)
        {
            var retry = new List<Digest>();
            foreach (var digest in pending)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var error = await PutAsync(repository, digest.ToString(), digest, cancellationToken);
                if (error is null)
                {
                    _manifestsCopied++;
                    progress?.Report($"  manifest {digest} copied");
                    continue;
                }
                reasons[digest] = error.Message;
                if (error.Code == ErrorCode.ManifestBlobUnknown) retry.Add(digest);
                else _failures.Add($"manifest {digest} in {repository}: {error.Message}");
            }
            if (retry.Count == pending.Count)
            {
                _failures.AddRange(retry.Select(digest => $"manifest {digest} in {repository}: {reasons[digest]}"));
                break;
            }
            pending = retry;
        }
    }

    private async Task CopyTagsAsync(string repository, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        foreach (var (tag, digest) in source.Export.Tags(repository))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = destination.Manifests.Read(repository, tag, RequestPreconditions.None);
            if (current.IsSuccess && current.Value!.Manifest.Digest == digest)
            {
                _tagsPresent++;
                continue;
            }
            var error = await PutAsync(repository, tag, digest, cancellationToken);
            if (error is not null)
            {
                _failures.Add($"tag {tag} in {repository}: {error.Message}");
                continue;
            }
            _tagsCopied++;
            progress?.Report($"  tag {tag} -> {digest}");
        }
    }

    /// <summary>Pushes the source's manifest <paramref name="digest"/> to the destination under <paramref name="reference"/> (the digest or a tag).</summary>
    private async Task<RegistryError?> PutAsync(string repository, string reference, Digest digest, CancellationToken cancellationToken)
    {
        var read = source.Manifests.Read(repository, digest.ToString(), RequestPreconditions.None);
        if (!read.IsSuccess) return read.Error;
        var manifest = read.Value!.Manifest;
        using var body = new MemoryStream(manifest.Content, writable: false);
        var written = await destination.Manifests.PutAsync(new ManifestPut
        {
            Name = repository,
            Reference = reference,
            ContentType = manifest.MediaType,
            Body = body,
            ContentLength = manifest.Content.Length,
            Actor = Actor,
        }, cancellationToken);
        return written.IsSuccess ? null : written.Error;
    }
}
