using System.CommandLine;
using Berth.Cli.Invocation;

namespace Berth.Cli.Commands;

/// <summary><c>berth history</c>: a tag's moves, from Berth's <c>/v2/&lt;name&gt;/_berth/history/&lt;tag&gt;</c> extension.</summary>
internal static class HistoryCommand
{
    public static Command Create(GlobalOptions options)
    {
        var reference = new Argument<string>("reference") { Description = "host/name:tag" };
        var command = new Command("history", "Show every move of a tag, newest first (Berth registries only)") { reference };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var target = CliSession.ParseReference(parse.GetRequiredValue(reference));
            if (target.Tag is not { } tag) throw new UsageException("history needs a :tag");
            var history = await session.RepositoryFor(target).GetTagHistoryAsync(tag, cancellationToken);
            if (history is null)
            {
                await session.Error.WriteLineAsync($"berth history: {target.Registry} does not offer tag history (a Berth extension)");
                return ExitCodes.NotFound;
            }
            await session.WriteResultAsync(history, string.Join('\n', history.Moves.Select(m =>
                $"{m.At:yyyy-MM-ddTHH:mm:ssZ}  {m.From ?? "(none)"} -> {m.To ?? "(deleted)"}{(m.Actor is null ? "" : "  by " + m.Actor)}")));
            return ExitCodes.Success;
        });
        return command;
    }
}
