using System.CommandLine;
using Berth.Cli.Commands;
using Berth.Cli.Invocation;

return await BerthCommandLine.RunAsync(args);

/// <summary>The <c>berth</c> command tree; tests build it too, to run commands in-process.</summary>
internal static class BerthCommandLine
{
    public static RootCommand Create()
    {
        var options = new GlobalOptions();
        var root = new RootCommand("Berth: an OCI registry and client")
        {
            ServeCommand.Create(),
            MaintenanceCommands.CreateGc(),
            MaintenanceCommands.CreateFsck(),
            EventsCommand.Create(),
            MigrationCommands.CreateDb(),
            MigrationCommands.CreateMigrate(),
            MigrationCommands.CreateImport(),
            LoginCommands.CreateLogin(options),
            LoginCommands.CreateLogout(options),
            TransferCommands.CreatePush(options),
            TransferCommands.CreatePull(options),
            TransferCommands.CreateCopy(options),
            TagCommands.CreateTag(options),
            TagCommands.CreateTags(options),
            ManifestCommands.Create(options),
            BlobCommands.Create(options),
            ReferrerCommands.CreateReferrers(options),
            ReferrerCommands.CreateAttach(options),
            HistoryCommand.Create(options),
            IndexCommands.Create(options),
            AuthCommands.Create(),
            CheckCommand.Create(options),
        };
        foreach (var option in options.All) root.Options.Add(option);
        return root;
    }

    /// <summary>Parses and runs; a command line that does not parse exits with <see cref="ExitCodes.Usage"/>.</summary>
    public static async Task<int> RunAsync(string[] args, InvocationConfiguration? configuration = null)
    {
        var parse = Create().Parse(args);
        var exitCode = await parse.InvokeAsync(configuration);
        return parse.Errors.Count > 0 ? ExitCodes.Usage : exitCode;
    }
}
