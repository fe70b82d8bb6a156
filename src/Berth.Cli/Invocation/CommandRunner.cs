using System.CommandLine;
using Berth.Cli.Commands;
using Berth.Client.Errors;

namespace Berth.Cli.Invocation;

/// <summary>
/// Runs a client command and turns what went wrong into an exit code scripts can branch on
/// (<see cref="ExitCodes"/>) and one readable line on stderr (plus a JSON error object on stdout with
/// <c>--output json</c>).
/// </summary>
internal static class CommandRunner
{
    public static void SetClientAction(this Command command, GlobalOptions options, Func<CliSession, ParseResult, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var session = new CliSession(parse, options);
            try
            {
                return await action(session, parse, cancellationToken);
            }
            catch (Exception e) when (ExitCodeFor(e) is { } exitCode)
            {
                await session.Error.WriteLineAsync($"berth {CommandPath(parse)}: {e.Message}");
                if (session.Format == OutputFormat.Json)
                {
                    await session.Out.WriteLineAsync(CliSession.Serialize(new { error = e.Message, kind = KindOf(e), exitCode }));
                }
                return exitCode;
            }
        });
    }

    public static int? ExitCodeFor(Exception e) => e switch
    {
        UnprotectedWriteException => ExitCodes.Unprotected,
        ConcurrentUpdateException or PreconditionFailedException or TagExistsException => ExitCodes.Conflict,
        RegistryRequestException { IsNotFound: true } => ExitCodes.NotFound,
        UsageException or FormatException => ExitCodes.Usage,
        Berth.Client.Auth.CredentialHelperException => ExitCodes.Failure,
        FileNotFoundException or DirectoryNotFoundException or KeyNotFoundException => ExitCodes.NotFound,
        RegistryRequestException or DigestMismatchException or HttpRequestException or IOException
            or InvalidOperationException or ArgumentException or System.Text.Json.JsonException or UnauthorizedAccessException => ExitCodes.Failure,
        _ => null,
    };

    private static string KindOf(Exception e) => e switch
    {
        UnprotectedWriteException => "unprotected",
        ConcurrentUpdateException or PreconditionFailedException or TagExistsException => "conflict",
        RegistryRequestException { IsNotFound: true } or FileNotFoundException or DirectoryNotFoundException or KeyNotFoundException => "notFound",
        UsageException or FormatException => "usage",
        RegistryAuthenticationException => "unauthorized",
        Berth.Client.Auth.CredentialHelperException => "credentialHelper",
        DigestMismatchException => "digestMismatch",
        _ => "failure",
    };

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result.Parent is System.CommandLine.Parsing.CommandResult parent; result = parent)
        {
            names.Add(result.Command.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }
}
