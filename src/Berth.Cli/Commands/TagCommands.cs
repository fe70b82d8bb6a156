using System.CommandLine;
using Berth.Cli.Invocation;
using Berth.Client.Conditional;
using Berth.Oci.Digests;
using Berth.Oci.Names;

namespace Berth.Cli.Commands;

/// <summary><c>berth tag</c> (optionally conditional) and <c>berth tags</c>.</summary>
internal static class TagCommands
{
    public static Command CreateTag(GlobalOptions options)
    {
        var source = new Argument<string>("source") { Description = "The manifest to tag: host/name:tag or host/name@digest" };
        var tags = new Argument<string[]>("tags") { Description = "New tag name(s) in the same repository", Arity = ArgumentArity.OneOrMore };
        var ifMatch = new Option<string?>("--if-match") { Description = "Move the tag only if it currently points at this digest (If-Match)" };
        var createOnly = new Option<bool>("--create-only") { Description = "Only create the tag; fail if it exists with other content (If-None-Match: *)" };
        var allowUnprotected = ConditionalOptions.AllowUnprotected();
        var command = new Command("tag",
            "Point tags at a manifest. With --if-match or --create-only the move is conditional: exit 3 if another writer got "
            + "there first, exit 5 if the registry cannot guarantee the condition (unless --allow-unprotected)")
        {
            source, tags, ifMatch, createOnly, allowUnprotected,
        };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var from = CliSession.ParseManifestReference(parse.GetRequiredValue(source));
            var condition = ConditionFrom(parse.GetValue(ifMatch), parse.GetValue(createOnly));
            var policy = parse.GetValue(allowUnprotected) ? UnprotectedWritePolicy.Proceed : UnprotectedWritePolicy.Refuse;
            var repository = session.RepositoryFor(from);
            var digest = from.Digest ?? Digest.Parse((await repository.HeadManifestAsync(from.Tag!, cancellationToken)
                ?? throw new Client.Errors.RegistryRequestException(System.Net.HttpStatusCode.NotFound, "HEAD", null, [], $"{from} not found")).Digest);
            var results = new List<object>();
            var lines = new List<string>();
            foreach (var tag in parse.GetRequiredValue(tags))
            {
                if (!TagName.IsValid(tag)) throw new UsageException($"'{tag}' is not a valid tag");
                var tagged = await repository.TagAsync(tag, digest, condition, policy, cancellationToken);
                results.Add(new
                {
                    reference = from.WithTag(tag).ToString(),
                    digest = digest.ToString(),
                    condition = condition.ToString(),
                    @protected = !condition.IsConditional || tagged.IsProtected,
                    protection = tagged.Protection,
                    alreadyApplied = tagged.AlreadyApplied,
                });
                lines.Add($"Tagged {from.WithTag(tag)} -> {digest}{(tagged.AlreadyApplied ? " (already there)" : "")}");
                if (condition.IsConditional && !tagged.IsProtected)
                {
                    await session.WarnAsync($"{from.Registry} ignores conditional requests; the {condition} check was best effort and may have raced");
                }
            }
            await session.WriteResultAsync(results.Count == 1 ? results[0] : new { tags = results }, string.Join('\n', lines));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateTags(GlobalOptions options)
    {
        var repository = new Argument<string>("repository") { Description = "host[:port]/name" };
        var command = new Command("tags", "List a repository's tags") { repository };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var reference = CliSession.ParseReference(parse.GetRequiredValue(repository));
            var tags = await session.RepositoryFor(reference).ListTagsAsync(cancellationToken);
            await session.WriteResultAsync(new { name = reference.Repository, tags }, string.Join('\n', tags));
            return ExitCodes.Success;
        });
        return command;
    }

    internal static WriteCondition ConditionFrom(string? ifMatch, bool createOnly)
    {
        if (ifMatch is not null && createOnly) throw new UsageException("--if-match and --create-only exclude each other");
        if (createOnly) return WriteCondition.CreateOnly;
        if (ifMatch is null) return WriteCondition.None;
        return Digest.TryParse(ifMatch, out var digest) ? WriteCondition.IfMatchDigest(digest)
            : throw new UsageException($"--if-match needs a digest (sha256:…), not '{ifMatch}'");
    }
}
