using System.CommandLine;
using System.Diagnostics;
using Berth.Cli.Invocation;
using Berth.Client.Content;
using Berth.Client.Copying;

namespace Berth.Cli.Commands;

/// <summary><c>berth push</c>, <c>berth pull</c> and <c>berth copy</c>: moving whole artifacts and images.</summary>
internal static class TransferCommands
{
    public static Command CreatePush(GlobalOptions options)
    {
        var reference = new Argument<string>("reference") { Description = "Where to push: host[:port]/name:tag" };
        var paths = new Argument<string[]>("paths")
        {
            Description = "Files (file or file:media/type), or one OCI image layout folder",
            Arity = ArgumentArity.OneOrMore,
        };
        var artifactType = new Option<string?>("--artifact-type") { Description = "artifactType of the manifest (files only)" };
        var annotations = new Option<string[]>("--annotation", "-a") { Description = "key=value manifest annotation (files only); repeatable" };
        var layoutRef = new Option<string?>("--layout-ref") { Description = "Which manifest of the layout's index.json to push, by ref name" };
        var command = new Command("push", "Push files as an OCI artifact, or an image from an OCI image layout folder")
        {
            reference, paths, artifactType, annotations, layoutRef,
        };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var target = CliSession.ParseReference(parse.GetRequiredValue(reference));
            var tag = target.Tag ?? "latest";
            var inputs = parse.GetRequiredValue(paths);
            var repository = session.RepositoryFor(target);
            var clock = Stopwatch.StartNew();

            if (inputs.Length == 1 && Directory.Exists(inputs[0]))
            {
                var layout = OciImageLayout.Open(inputs[0]);
                var root = layout.SelectEntry(parse.GetValue(layoutRef));
                var copied = await session.Progress.RunAsync(observer => ContentGraphCopier.CopyAsync(
                    new LayoutContentSource(layout), new RegistryContentTarget(repository), root, tag, observer, cancellationToken));
                await session.WriteResultAsync(CopyReport(target.WithTag(tag).ToString(), copied, clock.Elapsed),
                    $"Pushed {target.WithTag(tag)}@{root.Digest}\n{CopySummary(copied, clock.Elapsed)}");
                return ExitCodes.Success;
            }

            var files = inputs.Select(ParseFileArgument).ToList();
            var pushed = await session.Progress.RunAsync(observer => repository.PushArtifactAsync(files,
                parse.GetValue(artifactType) ?? ArtifactFiles.DefaultArtifactType, tag, null,
                ParseAnnotations(parse.GetValue(annotations)), observer, cancellationToken));
            await session.WriteResultAsync(new
            {
                reference = target.WithTag(tag).ToString(),
                digest = pushed.Manifest.Digest.ToString(),
                artifactType = parse.GetValue(artifactType) ?? ArtifactFiles.DefaultArtifactType,
                layers = pushed.Layers,
                bytesUploaded = pushed.BytesUploaded,
            }, $"Pushed {target.WithTag(tag)}@{pushed.Manifest.Digest}: {pushed.Layers.Count} file(s), "
               + $"{HumanUnits.Bytes(pushed.BytesUploaded)} uploaded in {HumanUnits.Duration(clock.Elapsed)} "
               + $"({HumanUnits.Rate(pushed.BytesUploaded, clock.Elapsed)})");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreatePull(GlobalOptions options)
    {
        var reference = new Argument<string>("reference") { Description = "What to pull: host[:port]/name:tag or …@digest" };
        var directory = new Option<string?>("--dir") { Description = "Folder for an artifact's files (default: current folder)" };
        var layout = new Option<string?>("--layout") { Description = "Pull the image (all platforms) into this OCI image layout folder instead" };
        var command = new Command("pull", "Pull an artifact's files, or an image into an OCI image layout folder")
        {
            reference, directory, layout,
        };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var source = CliSession.ParseManifestReference(parse.GetRequiredValue(reference));
            var repository = session.RepositoryFor(source);
            var clock = Stopwatch.StartNew();
            if (parse.GetValue(layout) is { } layoutDirectory)
            {
                var root = (await repository.GetManifestAsync(source.ManifestReference!, cancellationToken)).Manifest.Descriptor;
                var target = OciImageLayout.OpenOrCreate(layoutDirectory);
                var copied = await session.Progress.RunAsync(observer => ContentGraphCopier.CopyAsync(
                    new RegistryContentSource(repository), new LayoutContentTarget(target), root, source.Tag ?? source.Digest.ToString(),
                    observer, cancellationToken));
                await session.WriteResultAsync(CopyReport(layoutDirectory, copied, clock.Elapsed),
                    $"Pulled {source} ({root.Digest}) into {layoutDirectory}\n{CopySummary(copied, clock.Elapsed)}");
                return ExitCodes.Success;
            }

            var pulled = await session.Progress.RunAsync(observer =>
                repository.PullArtifactAsync(source.ManifestReference!, parse.GetValue(directory) ?? ".", observer, cancellationToken));
            await session.WriteResultAsync(new
            {
                reference = source.ToString(),
                digest = pulled.Digest.ToString(),
                artifactType = pulled.ArtifactType,
                files = pulled.Files,
                bytes = pulled.Bytes,
            }, $"Pulled {source}@{pulled.Digest}: {string.Join(", ", pulled.Files.Select(Path.GetFileName))} "
               + $"({HumanUnits.Bytes(pulled.Bytes)} in {HumanUnits.Duration(clock.Elapsed)}, {HumanUnits.Rate(pulled.Bytes, clock.Elapsed)})");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateCopy(GlobalOptions options)
    {
        var source = new Argument<string>("source") { Description = "host/name:tag or …@digest to copy from" };
        var destination = new Argument<string>("destination") { Description = "host/name[:tag] to copy to (tag defaults to the source's)" };
        var command = new Command("copy",
            "Copy an image or artifact between repositories or registries: every platform of an index, blobs mounted "
            + "within one registry and streamed between registries, skipping what the target has")
        {
            source, destination,
        };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var from = CliSession.ParseManifestReference(parse.GetRequiredValue(source));
            var to = CliSession.ParseReference(parse.GetRequiredValue(destination));
            var tag = to.Tag ?? from.Tag;
            var sourceRepository = session.RepositoryFor(from);
            var clock = Stopwatch.StartNew();
            var root = (await sourceRepository.GetManifestAsync(from.ManifestReference!, cancellationToken)).Manifest.Descriptor;
            var copied = await session.Progress.RunAsync(observer => ContentGraphCopier.CopyAsync(
                new RegistryContentSource(sourceRepository), new RegistryContentTarget(session.RepositoryFor(to)), root, tag, observer,
                cancellationToken));
            var shown = tag is null ? to.WithDigest(Oci.Digests.Digest.Parse(root.Digest)) : to.WithTag(tag);
            await session.WriteResultAsync(CopyReport(shown.ToString(), copied, clock.Elapsed),
                $"Copied {from} to {shown} ({root.Digest})\n{CopySummary(copied, clock.Elapsed)}");
            return ExitCodes.Success;
        });
        return command;
    }

    internal static ArtifactFile ParseFileArgument(string text)
    {
        // "path:media/type" — only when what follows the last ':' looks like a media type, so paths
        // with colons still work.
        var colon = text.LastIndexOf(':');
        if (colon > 0 && Oci.Manifests.MediaTypes.IsWellFormed(text[(colon + 1)..]))
        {
            return new ArtifactFile(text[..colon], text[(colon + 1)..]);
        }
        if (!File.Exists(text)) throw new FileNotFoundException($"no such file: {text}");
        return new ArtifactFile(text);
    }

    internal static Dictionary<string, string>? ParseAnnotations(string[]? values)
    {
        if (values is null || values.Length == 0) return null;
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var equals = value.IndexOf('=');
            if (equals <= 0) throw new UsageException($"annotation '{value}' must be key=value");
            result[value[..equals]] = value[(equals + 1)..];
        }
        return result;
    }

    private static object CopyReport(string target, CopyResult copied, TimeSpan elapsed) => new
    {
        target,
        digest = copied.Root.Digest,
        mediaType = copied.Root.MediaType,
        manifests = copied.Manifests,
        blobsCopied = copied.BlobsCopied,
        blobsSkipped = copied.BlobsSkipped,
        blobsMounted = copied.BlobsMounted,
        bytesCopied = copied.BytesCopied,
        seconds = Math.Round(elapsed.TotalSeconds, 3),
    };

    private static string CopySummary(CopyResult copied, TimeSpan elapsed) =>
        $"{copied.Manifests} manifest(s); blobs: {copied.BlobsCopied} copied, {copied.BlobsMounted} mounted, {copied.BlobsSkipped} already there; "
        + $"{HumanUnits.Bytes(copied.BytesCopied)} in {HumanUnits.Duration(elapsed)} ({HumanUnits.Rate(copied.BytesCopied, elapsed)})";
}
