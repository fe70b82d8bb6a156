using System.CommandLine;
using Berth.Cli.Configuration;
using Berth.Server.Configuration;
using Berth.Server.Hosting;

namespace Berth.Cli.Commands;

/// <summary><c>berth serve</c>: run the registry on embedded storage.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var listen = new Option<string?>("--listen") { Description = "HOST:PORT to listen on (default 127.0.0.1:5000; env BERTH_LISTEN)" };
        var data = new Option<string?>("--data") { Description = "Data folder, created on first start (default ./berth-data; env BERTH_DATA)" };
        var config = new Option<string?>("--config") { Description = "JSON config file (env BERTH_CONFIG)" };
        var logLevel = new Option<string?>("--log-level") { Description = "Trace, Debug, Information, Warning, Error or None (env BERTH_LOG_LEVEL)" };
        var htpasswd = new Option<string?>("--htpasswd") { Description = "htpasswd file of bcrypt hashes; turns authentication on (env BERTH_HTPASSWD)" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate (and chain) for HTTPS (env BERTH_TLS_CERT)" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of the certificate (env BERTH_TLS_KEY)" };

        var command = new Command("serve", "Run the Berth registry") { listen, data, config, logLevel, htpasswd, tlsCert, tlsKey };
        command.SetAction(async (parse, cancellationToken) =>
        {
            ServerOptions options;
            SettingFlag[] flags =
            [
                new("--listen", "listen", parse.GetValue(listen)),
                new("--data", "dataDirectory", parse.GetValue(data)),
                new("--log-level", "logLevel", parse.GetValue(logLevel)),
                new("--htpasswd", "auth:htpasswd", parse.GetValue(htpasswd)),
                new("--tls-cert", "tls:certificate", parse.GetValue(tlsCert)),
                new("--tls-key", "tls:key", parse.GetValue(tlsKey)),
            ];
            var configFile = parse.GetValue(config) ?? Environment.GetEnvironmentVariable(BerthConfiguration.ConfigFileVariable);
            try
            {
                options = BerthConfiguration.Resolve(configFile, flags);
            }
            catch (Exception e) when (e is InvalidSettingsException or FormatException or IOException or InvalidDataException)
            {
                await Console.Error.WriteLineAsync($"berth serve: {e.Message}");
                return ExitCodes.Usage;
            }
            foreach (var warning in ExposureWarnings.For(options))
            {
                await Console.Error.WriteLineAsync($"berth serve: WARNING: {warning}");
            }

            RegistryServer created;
            try
            {
                // SIGHUP or a change of the config or htpasswd file reads every layer again (the environment is the start's).
                var source = new SettingsSource(() => BerthConfiguration.Resolve(configFile, flags),
                    string.IsNullOrEmpty(configFile) ? [] : [configFile]);
                created = RegistryServer.Create(options, settings: source);
            }
            catch (Exception e) when (e is IOException or ArgumentException or InvalidDataException
                                          or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException
                                          or NotSupportedException)
            {
                // A bad htpasswd line, certificate or key file: say which and stop before listening.
                await Console.Error.WriteLineAsync($"berth serve: {e.Message}");
                return ExitCodes.Usage;
            }
            await using var server = created;
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
