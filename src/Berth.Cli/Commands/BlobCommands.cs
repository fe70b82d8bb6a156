using System.CommandLine;
using System.Diagnostics;
using Berth.Cli.Invocation;
using Berth.Client;
using Berth.Oci.Digests;

namespace Berth.Cli.Commands;

/// <summary><c>berth blob get|put|delete</c>.</summary>
internal static class BlobCommands
{
    public static Command Create(GlobalOptions options) => new("blob", "Download, upload and delete blobs")
    {
        CreateGet(options), CreatePut(options), CreateDelete(options),
    };

    private static Command CreateGet(GlobalOptions options)
    {
        var reference = new Argument<string>("reference") { Description = "host/name@digest" };
        var file = new Option<string?>("--file", "-f") { Description = "Write here (default: stdout)" };
        var command = new Command("get", "Download a blob; its digest is verified while reading, and a dropped connection is resumed")
        {
            reference, file,
        };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var target = BlobReference(parse.GetRequiredValue(reference), out var digest);
            var repository = session.RepositoryFor(target);
            var clock = Stopwatch.StartNew();
            if (parse.GetValue(file) is not { } path)
            {
                await using var stdout = Console.OpenStandardOutput();
                await repository.PullBlobAsync(digest, stdout, cancellationToken: cancellationToken);
                return ExitCodes.Success;
            }
            var size = await repository.GetBlobSizeAsync(digest, cancellationToken);
            var temporary = path + ".partial";
            long bytes;
            await using (var output = File.Create(temporary))
            {
                bytes = await session.Progress.RunSingleAsync(TransferProgressDisplay.ShortDigest(digest.ToString()), size,
                    progress => repository.PullBlobAsync(digest, output, null, progress, cancellationToken));
            }
            File.Move(temporary, path, overwrite: true);
            await session.WriteResultAsync(new { digest = digest.ToString(), size = bytes, file = path },
                $"{digest} -> {path} ({HumanUnits.Bytes(bytes)} in {HumanUnits.Duration(clock.Elapsed)}, {HumanUnits.Rate(bytes, clock.Elapsed)})");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreatePut(GlobalOptions options)
    {
        var repositoryArgument = new Argument<string>("repository") { Description = "host/name" };
        var file = new Argument<string>("file") { Description = "The file to upload" };
        var command = new Command("put", "Upload a file as a blob (skipped if the repository has it); prints its digest")
        {
            repositoryArgument, file,
        };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var target = CliSession.ParseReference(parse.GetRequiredValue(repositoryArgument));
            var path = parse.GetRequiredValue(file);
            var clock = Stopwatch.StartNew();
            await using var stream = File.OpenRead(path);
            using var hasher = new DigestHasher(DigestAlgorithm.Sha256);
            var buffer = new byte[128 * 1024];
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0) hasher.Append(buffer.AsSpan(0, read));
            var digest = hasher.Current();
            stream.Position = 0;
            var pushed = await session.Progress.RunSingleAsync(Path.GetFileName(path), stream.Length,
                progress => session.RepositoryFor(target).PushBlobAsync(stream, digest, stream.Length, progress, cancellationToken));
            await session.WriteResultAsync(new { digest = digest.ToString(), size = pushed.Size, outcome = pushed.Outcome, resumes = pushed.Resumes },
                pushed.Outcome == BlobPushOutcome.AlreadyPresent
                    ? $"{digest} (already there)"
                    : $"{digest} ({HumanUnits.Bytes(pushed.Size)} in {HumanUnits.Duration(clock.Elapsed)}, {HumanUnits.Rate(pushed.Size, clock.Elapsed)})");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateDelete(GlobalOptions options)
    {
        var reference = new Argument<string>("reference") { Description = "host/name@digest" };
        var command = new Command("delete", "Delete a blob from a repository") { reference };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var target = BlobReference(parse.GetRequiredValue(reference), out var digest);
            await session.RepositoryFor(target).DeleteBlobAsync(digest, cancellationToken);
            await session.WriteResultAsync(new { digest = digest.ToString(), deleted = true }, $"Deleted {digest}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Client.References.ImageReference BlobReference(string text, out Digest digest)
    {
        var reference = CliSession.ParseReference(text);
        digest = reference.Digest ?? throw new UsageException($"'{text}' needs @digest");
        return reference;
    }
}
