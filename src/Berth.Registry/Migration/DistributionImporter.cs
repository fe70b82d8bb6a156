using System.Text.Json;
using Berth.Oci.Digests;
using Berth.Oci.Errors;
using Berth.Oci.Manifests;
using Berth.Oci.Names;
using Berth.Registry.Operations;

namespace Berth.Registry.Migration;

/// <summary>What an import brought over and what it left behind, with the reason.</summary>
public sealed record ImportReport(
    int Repositories, int Blobs, int Manifests, int Tags, IReadOnlyList<string> Skipped)
{
    public bool IsComplete => Skipped.Count == 0;
}

/// <summary>
/// Imports a CNCF Distribution filesystem storage tree (<c>docker/registry/v2/</c>: <c>blobs/&lt;alg&gt;/&lt;xx&gt;/&lt;hex&gt;/data</c>
/// and per repository <c>_layers</c>, <c>_manifests/revisions</c> and <c>_manifests/tags/&lt;tag&gt;/current</c> link
/// files) into a Berth registry, so users can leave Distribution without pushing again. Everything goes
/// through the registry's own operations: every blob is re-hashed against its digest while copied, every
/// manifest is validated as if pushed, and the digests and tags come out identical. Running it again over
/// the same tree changes nothing (blobs and manifests are content-addressed; tags land on the same digest).
/// </summary>
public sealed class DistributionImporter(BerthRegistry registry)
{
    private readonly Dictionary<Digest, string> _imported = [];
    private readonly List<string> _skipped = [];

    public async Task<ImportReport> ImportAsync(string storageRoot, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var v2 = FindV2(storageRoot);
        var repositoriesRoot = Path.Combine(v2, "repositories");
        int repositories = 0, manifests = 0, tags = 0;
        foreach (var (name, folder) in Repositories(repositoriesRoot))
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report(name);
            repositories++;
            foreach (var digest in Links(Path.Combine(folder, "_layers")))
            {
                await ImportBlobAsync(v2, name, digest, cancellationToken);
            }
            manifests += await ImportManifestsAsync(v2, name, Links(Path.Combine(folder, "_manifests", "revisions")).ToList(), cancellationToken);
            tags += await ImportTagsAsync(v2, name, Path.Combine(folder, "_manifests", "tags"), cancellationToken);
        }
        return new ImportReport(repositories, _imported.Count, manifests, tags, _skipped);
    }

    /// <summary>Accepts the storage root (Distribution's rootdirectory) or its docker/registry/v2 folder.</summary>
    private static string FindV2(string root)
    {
        var full = Path.GetFullPath(root);
        var nested = Path.Combine(full, "docker", "registry", "v2");
        if (Directory.Exists(Path.Combine(nested, "repositories"))) return nested;
        if (Directory.Exists(Path.Combine(full, "repositories")) && Directory.Exists(Path.Combine(full, "blobs"))) return full;
        throw new DirectoryNotFoundException($"'{root}' holds no Distribution storage (expected docker/registry/v2/repositories)");
    }

    /// <summary>
    /// Repository folders: those holding _manifests or _layers. Names nest ("team/app"), and Distribution's
    /// own folders all start with '_', which no repository-name component can.
    /// </summary>
    private IEnumerable<(string Name, string Folder)> Repositories(string root)
    {
        if (!Directory.Exists(root)) yield break;
        var pending = new Stack<string>([root]);
        while (pending.Count > 0)
        {
            var folder = pending.Pop();
            if (folder != root && (Directory.Exists(Path.Combine(folder, "_manifests")) || Directory.Exists(Path.Combine(folder, "_layers"))))
            {
                var name = Path.GetRelativePath(root, folder).Replace(Path.DirectorySeparatorChar, '/');
                if (RepositoryName.IsValid(name)) yield return (name, folder);
                else _skipped.Add($"repository '{name}': not a valid repository name");
            }
            foreach (var child in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal).Reverse())
            {
                var info = new DirectoryInfo(child);
                // A link planted in the tree must not lead the import outside it.
                if (!info.Name.StartsWith('_') && info.LinkTarget is null) pending.Push(child);
            }
        }
    }

    /// <summary>The digests of a links folder: &lt;alg&gt;/&lt;hex&gt;/link, each file holding "alg:hex".</summary>
    private IEnumerable<Digest> Links(string folder)
    {
        if (!Directory.Exists(folder)) yield break;
        foreach (var link in Directory.EnumerateFiles(folder, "link", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (ReadLink(link) is { } digest) yield return digest;
        }
    }

    private Digest? ReadLink(string path)
    {
        var text = File.ReadAllText(path).Trim();
        if (Digest.TryParse(text, out var digest)) return digest;
        _skipped.Add($"link {path}: '{Truncate(text)}' is not a digest");
        return null;
    }

    private static string BlobPath(string v2, Digest digest) =>
        Path.Combine(v2, "blobs", digest.Algorithm.Name, digest.Encoded[..2], digest.Encoded, "data");

    private async Task<bool> ImportBlobAsync(string v2, string repository, Digest digest, CancellationToken cancellationToken)
    {
        // A rerun leaves what an earlier run linked alone instead of uploading it again.
        if ((await registry.Blobs.ReadAsync(repository, digest.ToString(), Oci.Preconditions.RequestPreconditions.None, cancellationToken)).IsSuccess)
        {
            _imported.TryAdd(digest, repository);
            return true;
        }
        // Stored once: a blob already imported for another repository is mounted from it.
        if (_imported.TryGetValue(digest, out var holder))
        {
            var mounted = await registry.Uploads.MountAsync(repository, digest.ToString(), MountSource.FromRepository(holder));
            if (mounted is { IsSuccess: true, Value: not null }) return true;
        }
        var path = BlobPath(v2, digest);
        if (!File.Exists(path))
        {
            _skipped.Add($"blob {digest} in {repository}: its data file is missing from the tree");
            return false;
        }
        await using var content = File.OpenRead(path);
        var pushed = await registry.Uploads.PushMonolithicAsync(repository, digest.ToString(), content, content.Length, cancellationToken);
        if (!pushed.IsSuccess)
        {
            _skipped.Add($"blob {digest} in {repository}: {pushed.Error.Message}");
            return false;
        }
        _imported.TryAdd(digest, repository);
        return true;
    }

    /// <summary>
    /// Pushes every revision by digest. An index can only be stored after the manifests it lists, and a
    /// manifest only after its blobs, so revisions refused for a missing reference are retried while each
    /// round makes progress; a blob a manifest needs but the repository never linked is taken from the tree.
    /// </summary>
    private async Task<int> ImportManifestsAsync(string v2, string repository, List<Digest> revisions, CancellationToken cancellationToken)
    {
        var imported = 0;
        var pending = revisions;
        var reasons = new Dictionary<Digest, string>();
        while (pending.Count > 0)
        {
            var retry = new List<Digest>();
            foreach (var digest in pending)
            {
                var error = await PutManifestAsync(v2, repository, digest.ToString(), digest, cancellationToken);
                if (error is null)
                {
                    imported++;
                    continue;
                }
                reasons[digest] = error.Message;
                if (error.Code == ErrorCode.ManifestBlobUnknown) retry.Add(digest);
                else _skipped.Add($"manifest {digest} in {repository}: {error.Message}");
            }
            if (retry.Count == pending.Count)
            {
                // No progress: the missing references are blobs the repository never linked; try the tree.
                var fetched = false;
                foreach (var digest in retry) fetched |= await ImportReferencedBlobsAsync(v2, repository, digest, cancellationToken);
                if (!fetched)
                {
                    _skipped.AddRange(retry.Select(d => $"manifest {d} in {repository}: {reasons[d]}"));
                    break;
                }
            }
            pending = retry;
        }
        return imported;
    }

    private async Task<bool> ImportReferencedBlobsAsync(string v2, string repository, Digest manifest, CancellationToken cancellationToken)
    {
        var path = BlobPath(v2, manifest);
        if (!File.Exists(path)) return false;
        var parsed = ManifestParser.Parse(await File.ReadAllBytesAsync(path, cancellationToken), null, out _);
        if (parsed is null) return false;
        var any = false;
        foreach (var blob in parsed.Blobs)
        {
            if ((await registry.Blobs.ReadAsync(repository, blob.ToString(), Oci.Preconditions.RequestPreconditions.None, cancellationToken)).IsSuccess) continue;
            if (File.Exists(BlobPath(v2, blob))) any |= await ImportBlobAsync(v2, repository, blob, cancellationToken);
        }
        return any;
    }

    private async Task<int> ImportTagsAsync(string v2, string repository, string tagsFolder, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(tagsFolder)) return 0;
        var count = 0;
        foreach (var tagFolder in Directory.EnumerateDirectories(tagsFolder).Order(StringComparer.Ordinal))
        {
            var tag = Path.GetFileName(tagFolder);
            var current = Path.Combine(tagFolder, "current", "link");
            if (!File.Exists(current)) continue; // a deleted tag keeps its folder
            if (!TagName.IsValid(tag))
            {
                _skipped.Add($"tag '{Truncate(tag)}' in {repository}: not a valid tag");
                continue;
            }
            if (ReadLink(current) is not { } digest) continue;
            var error = await PutManifestAsync(v2, repository, tag, digest, cancellationToken);
            if (error is null) count++;
            else _skipped.Add($"tag {tag} in {repository}: {error.Message}");
        }
        return count;
    }

    private async Task<RegistryError?> PutManifestAsync(string v2, string repository, string reference, Digest digest, CancellationToken cancellationToken)
    {
        var path = BlobPath(v2, digest);
        if (!File.Exists(path)) return RegistryError.ManifestUnknown(digest.ToString());
        var body = await File.ReadAllBytesAsync(path, cancellationToken);
        using var stream = new MemoryStream(body, writable: false);
        var written = await registry.Manifests.PutAsync(new ManifestPut
        {
            Name = repository,
            Reference = reference,
            ContentType = MediaTypeOf(body),
            Body = stream,
            ContentLength = body.Length,
            Actor = "import",
        }, cancellationToken);
        return written.IsSuccess ? null : written.Error;
    }

    /// <summary>
    /// Distribution kept the Content-Type a manifest was pushed with only in the manifest itself; OCI
    /// manifests may omit mediaType, and then an index is the one with "manifests" (image-spec §image-index).
    /// </summary>
    private static string? MediaTypeOf(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            if (root.TryGetProperty("mediaType", out var mediaType) && mediaType.ValueKind == JsonValueKind.String) return mediaType.GetString();
            return root.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Truncate(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
