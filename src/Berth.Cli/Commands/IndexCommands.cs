using System.CommandLine;
using Berth.Cli.Invocation;
using Berth.Client.Conditional;
using Berth.Client.Content;
using Berth.Oci.Digests;

namespace Berth.Cli.Commands;

/// <summary>
/// <c>berth index add|remove</c>: edit one platform's entry of a multi-arch index under a tag with a
/// conditional read-modify-write, so builders running at once do not drop each other's platforms.
/// </summary>
internal static class IndexCommands
{
    public static Command Create(GlobalOptions options) => new("index", "Add or remove platform manifests in a multi-arch index, safely under concurrency")
    {
        CreateAdd(options), CreateRemove(options),
    };

    private static Command CreateAdd(GlobalOptions options)
    {
        var index = new Argument<string>("index") { Description = "The index tag: host/name:tag (created if absent)" };
        var manifest = new Argument<string>("manifest") { Description = "A platform manifest in the same repository: sha256:…, @sha256:… or a tag" };
        var platform = new Option<string?>("--platform") { Description = "os/arch[/variant] (default: read from the manifest's config)" };
        var allowUnprotected = ConditionalOptions.AllowUnprotected();
        var command = new Command("add",
            "Put a platform manifest into the index (replacing that platform's entry). Exit 3 if it kept losing races, "
            + "exit 5 if the registry cannot make the update safe (unless --allow-unprotected)")
        {
            index, manifest, platform, allowUnprotected,
        };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var target = IndexReference(parse.GetRequiredValue(index));
            var repository = session.RepositoryFor(target);
            var manifestText = parse.GetRequiredValue(manifest).TrimStart('@');
            var digest = Digest.TryParse(manifestText, out var parsed) ? parsed
                : Digest.Parse((await repository.HeadManifestAsync(manifestText, cancellationToken)
                    ?? throw new Client.Errors.RegistryRequestException(System.Net.HttpStatusCode.NotFound, "HEAD", null, [], $"{manifestText} not found")).Digest);
            var chosen = parse.GetValue(platform) is { } text ? ParsePlatform(text) : null;
            var result = await repository.AddAsync(target.Tag!, digest, chosen, Policy(parse, allowUnprotected), cancellationToken);
            return await ReportAsync(session, target.ToString(), result, $"added {digest}");
        });
        return command;
    }

    private static Command CreateRemove(GlobalOptions options)
    {
        var index = new Argument<string>("index") { Description = "The index tag: host/name:tag" };
        var platform = new Option<string>("--platform") { Description = "os/arch[/variant] to remove", Required = true };
        var allowUnprotected = ConditionalOptions.AllowUnprotected();
        var command = new Command("remove", "Remove a platform's entry from the index (conditional read-modify-write)")
        {
            index, platform, allowUnprotected,
        };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var target = IndexReference(parse.GetRequiredValue(index));
            var chosen = ParsePlatform(parse.GetRequiredValue(platform));
            var result = await session.RepositoryFor(target).RemoveAsync(target.Tag!, chosen, Policy(parse, allowUnprotected), cancellationToken);
            return await ReportAsync(session, target.ToString(), result, $"removed {chosen}");
        });
        return command;
    }

    private static async Task<int> ReportAsync(CliSession session, string target, ManifestUpdateResult result, string what)
    {
        if (!result.IsProtected && result.Changed)
        {
            await session.WarnAsync(result.ConfirmedByReadBack == false
                ? $"the registry ignores conditional requests and a concurrent writer replaced the index: the change was lost"
                : $"the registry ignores conditional requests: the update was not protected against concurrent writers");
        }
        await session.WriteResultAsync(new
        {
            index = target,
            digest = result.Digest?.ToString(),
            changed = result.Changed,
            attempts = result.Attempts,
            @protected = result.IsProtected,
            protection = result.Protection,
            confirmedByReadBack = result.ConfirmedByReadBack,
        }, result.Changed
            ? $"{target}: {what}; index is now {result.Digest} ({result.Attempts} attempt(s){(result.IsProtected ? "" : ", UNPROTECTED")})"
            : $"{target}: nothing to change");
        // An unprotected write that read back without our change was lost: that is a conflict.
        return result.ConfirmedByReadBack == false ? ExitCodes.Conflict : ExitCodes.Success;
    }

    private static UnprotectedWritePolicy Policy(System.CommandLine.ParseResult parse, Option<bool> allowUnprotected) =>
        parse.GetValue(allowUnprotected) ? UnprotectedWritePolicy.Proceed : UnprotectedWritePolicy.Refuse;

    private static Client.References.ImageReference IndexReference(string text)
    {
        var reference = CliSession.ParseReference(text);
        if (reference.Tag is null || reference.Digest is not null) throw new UsageException($"'{text}' must name the index by tag (host/name:tag)");
        return reference;
    }

    private static Platform ParsePlatform(string text) =>
        Platform.TryParse(text, out var platform) ? platform! : throw new UsageException($"'{text}' is not os/arch[/variant]");
}
