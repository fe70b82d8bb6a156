using System.CommandLine;
using Berth.Cli.Commands;

var root = new RootCommand("Berth: an OCI registry and client")
{
    ServeCommand.Create(),
    MaintenanceCommands.CreateGc(),
    MaintenanceCommands.CreateFsck(),
};
return await root.Parse(args).InvokeAsync();
