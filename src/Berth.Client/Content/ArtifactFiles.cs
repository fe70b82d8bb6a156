using Berth.Client.Copying;
using Berth.Oci.Digests;
using Berth.Oci.Manifests;

namespace Berth.Client.Content;

/// <summary>A file to push as one layer of an artifact.</summary>
public sealed record ArtifactFile(string Path, string MediaType = ArtifactFiles.DefaultLayerMediaType);

public sealed record ArtifactPushResult(Manifest Manifest, ManifestPushResult Push, IReadOnlyList<Descriptor> Layers, long BytesUploaded);

public sealed record ArtifactPullResult(Digest Digest, string? ArtifactType, IReadOnlyList<string> Files, long Bytes);

/// <summary>Files in and out of OCI artifacts, named by the title annotation (as oras does, so the two interoperate).</summary>
public static class ArtifactFiles
{
    public const string DefaultLayerMediaType = "application/vnd.oci.image.layer.v1.tar";

    /// <summary>oras's default when no artifact type is given.</summary>
    public const string DefaultArtifactType = "application/vnd.unknown.artifact.v1";

    /// <summary>
    /// Pushes each file as a layer (titled with its file name), the empty config, then the manifest —
    /// under <paramref name="tag"/>, or by digest when there is none (an attached artifact is found
    /// through its subject, not a tag).
    /// </summary>
    public static async Task<ArtifactPushResult> PushArtifactAsync(this RepositoryClient repository, IReadOnlyList<ArtifactFile> files,
        string artifactType, string? tag, Descriptor? subject = null, IReadOnlyDictionary<string, string>? annotations = null,
        ICopyObserver? observer = null, CancellationToken cancellationToken = default)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var layers = new List<Descriptor>();
        foreach (var file in files)
        {
            var title = System.IO.Path.GetFileName(file.Path);
            if (!names.Add(title)) throw new ArgumentException($"two files are named '{title}'; titles must be unique");
            await using var stream = File.OpenRead(file.Path);
            var digest = await HashAsync(stream, cancellationToken).ConfigureAwait(false);
            layers.Add(new Descriptor
            {
                MediaType = file.MediaType,
                Digest = digest.ToString(),
                Size = stream.Length,
                Annotations = new SortedDictionary<string, string>(StringComparer.Ordinal) { [ArtifactManifest.TitleAnnotation] = title },
            });
        }

        long uploaded = 0;
        for (var i = 0; i < files.Count; i++)
        {
            var layer = layers[i];
            var progress = observer?.BlobStarting(layer);
            await using var stream = File.OpenRead(files[i].Path);
            var pushed = await repository.PushBlobAsync(stream, Digest.Parse(layer.Digest), layer.Size, progress, cancellationToken).ConfigureAwait(false);
            if (pushed.Outcome == BlobPushOutcome.Uploaded) uploaded += layer.Size;
            observer?.BlobFinished(layer, pushed.Outcome);
        }
        await repository.PushBlobAsync(ArtifactManifest.EmptyJson, cancellationToken).ConfigureAwait(false);

        var manifest = ArtifactManifest.Build(artifactType, layers, subject, annotations);
        var push = await repository.PutManifestAsync(tag ?? manifest.Digest.ToString(), manifest, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return new ArtifactPushResult(manifest, push, layers, uploaded);
    }

    /// <summary>
    /// Writes each titled layer of an artifact into <paramref name="directory"/>. A title that is not a
    /// plain file name (a path, "..") is refused: a registry must not be able to write outside the folder.
    /// </summary>
    public static async Task<ArtifactPullResult> PullArtifactAsync(this RepositoryClient repository, string reference, string directory,
        ICopyObserver? observer = null, CancellationToken cancellationToken = default)
    {
        var fetched = await repository.GetManifestAsync(reference, cancellationToken).ConfigureAwait(false);
        if (fetched.Manifest.IsIndex) throw new InvalidOperationException($"{reference} is an index; pull an image with an OCI layout instead");
        var json = fetched.Manifest.ToJson();
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        long bytes = 0;
        foreach (var layer in fetched.Manifest.ReferencedBlobs().Skip(1))
        {
            if (layer.Annotations?.GetValueOrDefault(ArtifactManifest.TitleAnnotation) is not { } title) continue;
            if (title != System.IO.Path.GetFileName(title) || title is "." or "..")
            {
                throw new InvalidOperationException($"layer title '{title}' is not a plain file name; refusing to write it");
            }
            var path = System.IO.Path.Combine(directory, title);
            var temporary = path + ".partial";
            var progress = observer?.BlobStarting(layer);
            await using (var file = File.Create(temporary))
            {
                bytes += await repository.PullBlobAsync(Digest.Parse(layer.Digest), file, layer.Size, progress, cancellationToken).ConfigureAwait(false);
            }
            File.Move(temporary, path, overwrite: true);
            observer?.BlobFinished(layer, BlobPushOutcome.Uploaded);
            written.Add(path);
        }
        return new ArtifactPullResult(fetched.Digest, json["artifactType"]?.GetValue<string>() ?? (json["config"]?["mediaType"]?.GetValue<string>()),
            written, bytes);
    }

    private static async Task<Digest> HashAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var hasher = new DigestHasher(DigestAlgorithm.Sha256);
        var buffer = new byte[128 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0) hasher.Append(buffer.AsSpan(0, read));
        return hasher.Current();
    }
}
