using System.CommandLine;
using Berth.Auth;
using Berth.Auth.Tokens;
using Berth.Cli.Configuration;

namespace Berth.Cli.Commands;

/// <summary><c>berth auth rotate-key</c>: upkeep of the built-in token service's signing key in a data folder.</summary>
internal static class AuthCommands
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Data folder (default ./berth-data; env BERTH_DATA)" };
        var config = new Option<string?>("--config") { Description = "JSON config file, as for berth serve (its auth section gives the algorithm and token lifetimes)" };
        var rotate = new Command("rotate-key",
            "Replace the token signing key; the old public key keeps verifying the tokens it signed until they expire. Restart berth serve afterwards.")
        {
            data, config,
        };
        rotate.SetAction(async parse =>
        {
            string dataDirectory;
            AuthOptions auth;
            string? algorithm;
            try
            {
                var options = BerthConfiguration.Resolve(parse.GetValue(config), [new SettingFlag("--data", "dataDirectory", parse.GetValue(data))]);
                dataDirectory = options.Registry.DataDirectory;
                auth = options.Auth ?? new AuthOptions();
                algorithm = options.Auth?.TokenAlgorithm;
            }
            catch (Exception e) when (e is Berth.Server.Configuration.InvalidSettingsException or FormatException or IOException or System.Text.Json.JsonException or ArgumentException or InvalidDataException)
            {
                await Console.Error.WriteLineAsync($"berth auth rotate-key: {e.Message}");
                return ExitCodes.Usage;
            }

            KeyRotation rotation;
            try
            {
                // Owner-only like every folder `serve` makes, even when this command is the first to create them.
                var keys = BerthAuth.KeyDirectory(dataDirectory);
                Berth.Storage.DataDirectory.CreatePrivateFolder(keys);
                // Without an auth section in the config, the new key takes the current key's algorithm.
                rotation = SigningKeyStore.Rotate(keys, algorithm, TimeProvider.System);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException
                                          or System.Security.Cryptography.CryptographicException)
            {
                await Console.Error.WriteLineAsync($"berth auth rotate-key: {e.Message}");
                return ExitCodes.Failure;
            }
            await Console.Out.WriteLineAsync($"New {rotation.Algorithm} signing key {rotation.NewKeyId}.");
            var until = rotation.RetiredAt + SigningKeyStore.KeepRetiredFor(auth);
            foreach (var retired in rotation.RetiredKeyIds)
            {
                await Console.Out.WriteLineAsync($"Retired key {retired} verifies the tokens it signed until {until.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}.");
            }
            await Console.Out.WriteLineAsync("Restart berth serve to sign with the new key; until then it signs with the key it loaded.");
            return ExitCodes.Success;
        });
        return new Command("auth", "Manage the built-in token service") { rotate };
    }
}
