using Berth.Client.Content;
using Berth.Oci.Digests;
using Berth.Oci.Manifests;

namespace Berth.Client.Copying;

/// <summary>Where content is copied from: a repository or an OCI image layout.</summary>
public interface IContentSource
{
    Task<Manifest> GetManifestAsync(Descriptor descriptor, CancellationToken cancellationToken);

    /// <summary>A stream that verifies the digest as it is read.</summary>
    Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken);
}

/// <summary>Where content is copied to.</summary>
public interface IContentTarget
{
    Task<bool> HasManifestAsync(Descriptor descriptor, CancellationToken cancellationToken);

    /// <summary>Copies one blob unless present; the target chooses how (mount, stream, file).</summary>
    Task<BlobPushOutcome> CopyBlobAsync(Descriptor descriptor, IContentSource source, IProgress<long>? progress, CancellationToken cancellationToken);

    /// <summary>Stores a manifest by digest, or under a tag when one is given.</summary>
    Task PutManifestAsync(Manifest manifest, string? tag, CancellationToken cancellationToken);
}

public sealed class RegistryContentSource(RepositoryClient repository) : IContentSource
{
    public RepositoryClient Repository { get; } = repository;

    public async Task<Manifest> GetManifestAsync(Descriptor descriptor, CancellationToken cancellationToken) =>
        (await Repository.GetManifestAsync(descriptor.Digest, cancellationToken).ConfigureAwait(false)).Manifest;

    public async Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken) =>
        await Repository.OpenBlobAsync(Digest.Parse(descriptor.Digest), descriptor.Size, cancellationToken).ConfigureAwait(false);
}

public sealed class RegistryContentTarget(RepositoryClient repository) : IContentTarget
{
    public RepositoryClient Repository { get; } = repository;

    public async Task<bool> HasManifestAsync(Descriptor descriptor, CancellationToken cancellationToken) =>
        await Repository.HeadManifestAsync(descriptor.Digest, cancellationToken).ConfigureAwait(false) is not null;

    public async Task<BlobPushOutcome> CopyBlobAsync(Descriptor descriptor, IContentSource source, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        var digest = Digest.Parse(descriptor.Digest);
        if (await Repository.GetBlobSizeAsync(digest, cancellationToken).ConfigureAwait(false) is not null)
        {
            progress?.Report(descriptor.Size);
            return BlobPushOutcome.AlreadyPresent;
        }
        // Same registry: a cross-repository mount links the blob without moving a byte (end-11).
        if (source is RegistryContentSource { Repository: var from } && SameRegistry(from.Registry, Repository.Registry)
            && from.Name != Repository.Name
            && await Repository.TryMountBlobAsync(digest, from.Name, cancellationToken).ConfigureAwait(false))
        {
            progress?.Report(descriptor.Size);
            return BlobPushOutcome.Mounted;
        }
        await using var stream = await source.OpenBlobAsync(descriptor, cancellationToken).ConfigureAwait(false);
        var pushed = await Repository.PushBlobAsync(stream, digest, descriptor.Size, progress, cancellationToken).ConfigureAwait(false);
        return pushed.Outcome;
    }

    public async Task PutManifestAsync(Manifest manifest, string? tag, CancellationToken cancellationToken) =>
        await Repository.PutManifestAsync(tag ?? manifest.Digest.ToString(), manifest, cancellationToken: cancellationToken).ConfigureAwait(false);

    private static bool SameRegistry(RegistryClient a, RegistryClient b) => a.BaseAddress == b.BaseAddress;
}

public sealed class LayoutContentSource(OciImageLayout layout) : IContentSource
{
    public async Task<Manifest> GetManifestAsync(Descriptor descriptor, CancellationToken cancellationToken)
    {
        var digest = Digest.Parse(descriptor.Digest);
        var bytes = await File.ReadAllBytesAsync(layout.BlobPath(digest), cancellationToken).ConfigureAwait(false);
        var manifest = Manifest.FromBytes(bytes, descriptor.MediaType, digest.Algorithm);
        if (manifest.Digest != digest) throw new Errors.DigestMismatchException(descriptor.Digest, manifest.Digest.ToString(), $"manifest in {layout.Root}");
        return manifest;
    }

    public Task<Stream> OpenBlobAsync(Descriptor descriptor, CancellationToken cancellationToken) =>
        Task.FromResult(layout.OpenBlob(Digest.Parse(descriptor.Digest)));
}

public sealed class LayoutContentTarget(OciImageLayout layout) : IContentTarget
{
    public Task<bool> HasManifestAsync(Descriptor descriptor, CancellationToken cancellationToken) =>
        Task.FromResult(layout.HasBlob(Digest.Parse(descriptor.Digest)));

    public async Task<BlobPushOutcome> CopyBlobAsync(Descriptor descriptor, IContentSource source, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        var digest = Digest.Parse(descriptor.Digest);
        if (layout.HasBlob(digest))
        {
            progress?.Report(descriptor.Size);
            return BlobPushOutcome.AlreadyPresent;
        }
        await using var stream = await source.OpenBlobAsync(descriptor, cancellationToken).ConfigureAwait(false);
        await using var counted = new Transfers.ProgressReportingStream(stream, 0, progress);
        await layout.WriteBlobAsync(digest, counted, cancellationToken).ConfigureAwait(false);
        return BlobPushOutcome.Uploaded;
    }

    public async Task PutManifestAsync(Manifest manifest, string? tag, CancellationToken cancellationToken)
    {
        if (!layout.HasBlob(manifest.Digest))
        {
            await layout.WriteBlobAsync(manifest.Digest, new MemoryStream(manifest.Bytes), cancellationToken).ConfigureAwait(false);
        }
        if (tag is not null) layout.SetEntry(manifest.Descriptor, tag);
    }
}
