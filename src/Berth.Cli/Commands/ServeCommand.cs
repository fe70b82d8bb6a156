using System.CommandLine;
using Berth.Cli.Configuration;
using Berth.Server.Hosting;

namespace Berth.Cli.Commands;

/// <summary><c>berth serve</c>: run the registry on embedded storage.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var listen = new Option<string?>("--listen") { Description = "HOST:PORT to listen on (default 127.0.0.1:5000; env BERTH_LISTEN)" };
        var data = new Option<string?>("--data") { Description = "Data folder, created on first start (default ./berth-data; env BERTH_DATA)" };
        var config = new Option<string?>("--config") { Description = "JSON config file (env BERTH_CONFIG)" };
        var logLevel = new Option<string?>("--log-level") { Description = "Trace, Debug, Information, Warning, Error or None (env BERTH_LOG_LEVEL)" };

        var command = new Command("serve", "Run the Berth registry") { listen, data, config, logLevel };
        command.SetAction(async (parse, cancellationToken) =>
        {
            ServerOptions options;
            try
            {
                options = BerthConfiguration.Resolve(parse.GetValue(config), new BerthConfiguration
                {
                    Listen = parse.GetValue(listen),
                    Data = parse.GetValue(data),
                    LogLevel = parse.GetValue(logLevel),
                }).ToServerOptions();
                RegistryServer.ParseListen(options.Listen);
            }
            catch (Exception e) when (e is FormatException or IOException or System.Text.Json.JsonException or ArgumentException or InvalidDataException)
            {
                await Console.Error.WriteLineAsync($"berth serve: {e.Message}");
                return ExitCodes.Usage;
            }

            await using var server = RegistryServer.Create(options);
            try
            {
                await server.StartAsync(cancellationToken);
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"berth serve: {e.Message}");
                return ExitCodes.Failure;
            }
            await Console.Out.WriteLineAsync(
                $"Berth registry listening on {server.Address} with data in {Path.GetFullPath(options.Registry.DataDirectory)}");
            await server.WaitForShutdownAsync();
            return ExitCodes.Success;
        });
        return command;
    }
}
