using System.CommandLine;
using Berth.Cli.Invocation;
using Berth.Client;
using Berth.Client.Conditional;

namespace Berth.Cli.Commands;

/// <summary><c>berth manifest get|put|delete</c>: raw manifests, with optional preconditions on writes.</summary>
internal static class ManifestCommands
{
    public static Command Create(GlobalOptions options) => new("manifest", "Read, write and delete manifests")
    {
        CreateGet(options), CreatePut(options), CreateDelete(options),
    };

    private static Command CreateGet(GlobalOptions options)
    {
        var reference = new Argument<string>("reference") { Description = "host/name:tag or host/name@digest" };
        var file = new Option<string?>("--file", "-f") { Description = "Write the manifest here instead of stdout" };
        var command = new Command("get", "Print a manifest exactly as stored (its digest is checked)") { reference, file };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var target = CliSession.ParseManifestReference(parse.GetRequiredValue(reference));
            var fetched = await session.RepositoryFor(target).GetManifestAsync(target.ManifestReference!, cancellationToken);
            if (parse.GetValue(file) is { } path) await File.WriteAllBytesAsync(path, fetched.Manifest.Bytes, cancellationToken);
            if (session.Format == OutputFormat.Json)
            {
                await session.WriteResultAsync(new
                {
                    reference = target.ToString(),
                    digest = fetched.Digest.ToString(),
                    mediaType = fetched.Manifest.MediaType,
                    size = fetched.Manifest.Bytes.Length,
                    entityTag = fetched.EntityTag,
                    manifest = System.Text.Json.JsonDocument.Parse(fetched.Manifest.Bytes).RootElement,
                }, "");
            }
            else if (parse.GetValue(file) is null)
            {
                await session.Out.WriteLineAsync(System.Text.Encoding.UTF8.GetString(fetched.Manifest.Bytes));
            }
            else
            {
                await session.Out.WriteLineAsync($"{fetched.Digest} written to {parse.GetValue(file)}");
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreatePut(GlobalOptions options)
    {
        var reference = new Argument<string>("reference") { Description = "host/name:tag (or @digest)" };
        var file = new Argument<string>("file") { Description = "The manifest file ('-' for stdin)" };
        var mediaType = new Option<string?>("--media-type") { Description = "Content-Type (default: the manifest's mediaType field)" };
        var ifMatch = new Option<string?>("--if-match") { Description = "Only if the tag currently points at this digest" };
        var createOnly = new Option<bool>("--create-only") { Description = "Only if the tag does not exist yet" };
        var allowUnprotected = ConditionalOptions.AllowUnprotected();
        var command = new Command("put", "Push a manifest from a file") { reference, file, mediaType, ifMatch, createOnly, allowUnprotected };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var target = CliSession.ParseManifestReference(parse.GetRequiredValue(reference));
            var path = parse.GetRequiredValue(file);
            byte[] bytes;
            if (path == "-")
            {
                using var buffer = new MemoryStream();
                await Console.OpenStandardInput().CopyToAsync(buffer, cancellationToken);
                bytes = buffer.ToArray();
            }
            else
            {
                bytes = await File.ReadAllBytesAsync(path, cancellationToken);
            }
            var type = parse.GetValue(mediaType) ?? MediaTypeOf(bytes)
                ?? throw new UsageException("the manifest has no mediaType field; give --media-type");
            var manifest = Manifest.FromBytes(bytes, type, target.Digest?.Algorithm);
            var condition = TagCommands.ConditionFrom(parse.GetValue(ifMatch), parse.GetValue(createOnly));
            var repository = session.RepositoryFor(target);
            var protection = repository.Registry.ConditionalSupport;
            if (condition.IsConditional)
            {
                protection = await RequireSupportAsync(session, repository, manifest, parse.GetValue(allowUnprotected), "put a manifest", cancellationToken);
            }
            var pushed = await repository.PutManifestAsync(target.ManifestReference!, manifest, condition, cancellationToken);
            await session.WriteResultAsync(new
            {
                reference = target.ToString(),
                digest = pushed.Digest.ToString(),
                mediaType = manifest.MediaType,
                condition = condition.ToString(),
                @protected = !condition.IsConditional || protection.IsGuaranteed(),
                referrersFallback = pushed.ReferrersFallback is { } fallback ? new { tag = fallback.Tag, @protected = fallback.IsProtected } : null,
            }, $"Pushed {target} ({pushed.Digest})");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateDelete(GlobalOptions options)
    {
        var reference = new Argument<string>("reference") { Description = "host/name:tag (untag) or host/name@digest (delete the manifest)" };
        var ifMatch = new Option<string?>("--if-match") { Description = "Only if the tag currently points at this digest" };
        var allowUnprotected = ConditionalOptions.AllowUnprotected();
        var command = new Command("delete", "Delete a manifest or a tag") { reference, ifMatch, allowUnprotected };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var target = CliSession.ParseManifestReference(parse.GetRequiredValue(reference));
            var condition = TagCommands.ConditionFrom(parse.GetValue(ifMatch), false);
            var repository = session.RepositoryFor(target);
            if (condition.IsConditional)
            {
                var current = await repository.GetManifestAsync(target.ManifestReference!, cancellationToken);
                await RequireSupportAsync(session, repository, current.Manifest, parse.GetValue(allowUnprotected), "delete", cancellationToken);
            }
            await repository.DeleteManifestAsync(target.ManifestReference!, condition, cancellationToken);
            await session.WriteResultAsync(new { reference = target.ToString(), deleted = true, condition = condition.ToString() }, $"Deleted {target}");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The library's detection and policy; with --allow-unprotected it warns instead of refusing.</summary>
    private static async Task<ConditionalSupport> RequireSupportAsync(CliSession session, RepositoryClient repository, Manifest probe,
        bool allowUnprotected, string operation, CancellationToken cancellationToken)
    {
        var support = await repository.RequireConditionalSupportAsync(probe,
            allowUnprotected ? UnprotectedWritePolicy.Proceed : UnprotectedWritePolicy.Refuse, operation, cancellationToken);
        if (!support.IsGuaranteed())
        {
            await session.WarnAsync($"{repository.Registry.Registry} ignores conditional requests ({support.Describe()}); the condition is not enforced");
        }
        return support;
    }

    private static string? MediaTypeOf(byte[] bytes)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(bytes);
            return document.RootElement.TryGetProperty("mediaType", out var type) ? type.GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
