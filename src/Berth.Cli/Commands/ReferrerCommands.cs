using System.CommandLine;
using Berth.Cli.Invocation;
using Berth.Client;
using Berth.Client.Content;

namespace Berth.Cli.Commands;

/// <summary><c>berth referrers</c> and <c>berth attach</c>: artifacts that point at a subject manifest.</summary>
internal static class ReferrerCommands
{
    public static Command CreateReferrers(GlobalOptions options)
    {
        var subject = new Argument<string>("subject") { Description = "host/name:tag or host/name@digest" };
        var artifactType = new Option<string?>("--artifact-type") { Description = "Only referrers of this artifactType" };
        var command = new Command("referrers",
            "List the manifests that refer to a subject (the referrers API, or the referrers tag where the registry lacks it)")
        {
            subject, artifactType,
        };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var target = CliSession.ParseManifestReference(parse.GetRequiredValue(subject));
            var repository = session.RepositoryFor(target);
            var digest = target.Digest ?? (await repository.GetManifestAsync(target.Tag!, cancellationToken)).Digest;
            var found = await repository.GetReferrersAsync(digest, parse.GetValue(artifactType), cancellationToken);
            await session.WriteResultAsync(new { subject = digest.ToString(), source = found.Source, referrers = found.Referrers },
                found.Referrers.Count == 0 ? $"No referrers of {digest}"
                    : string.Join('\n', found.Referrers.Select(r => $"{r.Digest}  {r.ArtifactType ?? r.MediaType}  {HumanUnits.Bytes(r.Size)}")));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateAttach(GlobalOptions options)
    {
        var subject = new Argument<string>("subject") { Description = "The manifest to attach to: host/name:tag or …@digest" };
        var files = new Argument<string[]>("files") { Description = "Files of the artifact (file or file:media/type)", Arity = ArgumentArity.ZeroOrMore };
        var artifactType = new Option<string>("--artifact-type") { Description = "artifactType of the new artifact", Required = true };
        var annotations = new Option<string[]>("--annotation", "-a") { Description = "key=value annotation; repeatable" };
        var command = new Command("attach",
            "Push an artifact whose subject is the given manifest (a signature, SBOM, attestation…); it is found with 'berth referrers'")
        {
            subject, files, artifactType, annotations,
        };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var target = CliSession.ParseManifestReference(parse.GetRequiredValue(subject));
            var repository = session.RepositoryFor(target);
            var subjectManifest = (await repository.GetManifestAsync(target.ManifestReference!, cancellationToken)).Manifest;
            var artifact = (parse.GetValue(files) ?? []).Select(TransferCommands.ParseFileArgument).ToList();
            var pushed = await session.Progress.RunAsync(observer => repository.PushArtifactAsync(artifact, parse.GetRequiredValue(artifactType),
                null, subjectManifest.Descriptor, TransferCommands.ParseAnnotations(parse.GetValue(annotations)), observer, cancellationToken));
            var fallback = pushed.Push.ReferrersFallback;
            if (fallback is { IsProtected: false })
            {
                await session.WarnAsync($"{target.Registry} has no referrers API and ignores conditional requests: the referrers tag "
                    + $"{fallback.Tag} was updated without protection{(fallback.ConfirmedByReadBack == false ? " and a concurrent writer replaced it" : "")}");
            }
            await session.WriteResultAsync(new
            {
                subject = subjectManifest.Digest.ToString(),
                digest = pushed.Manifest.Digest.ToString(),
                reference = target.WithDigest(pushed.Manifest.Digest).ToString(),
                artifactType = parse.GetRequiredValue(artifactType),
                referrersTag = fallback?.Tag,
                referrersTagProtected = fallback?.IsProtected,
                // The index the referrers tag held before, deleted once the tag had moved on.
                deletedReferrersIndex = pushed.Push.DeletedReferrersIndex?.ToString(),
            }, $"Attached {pushed.Manifest.Digest} to {subjectManifest.Digest}"
               + (fallback is null ? "" : $" (referrers tag {fallback.Tag} updated{(fallback.IsProtected ? " conditionally" : ", unprotected")})"));
            return ExitCodes.Success;
        });
        return command;
    }
}
