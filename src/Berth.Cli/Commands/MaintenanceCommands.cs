using Berth.Server.Hosting;
using System.CommandLine;
using System.Text.Json;
using Berth.Cli.Configuration;
using Berth.Cli.Invocation;
using Berth.Registry;
using Berth.Server.Configuration;

namespace Berth.Cli.Commands;

/// <summary>
/// <c>berth gc</c> and <c>berth fsck</c>: upkeep of a data folder, safe to run while <c>berth serve</c>
/// uses it (every change is a short transaction in the shared metadata database).
/// </summary>
internal static class MaintenanceCommands
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static Command CreateGc()
    {
        var data = DataOption();
        var config = ConfigOption();
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be removed and how many bytes, without removing" };
        var grace = new Option<TimeSpan?>("--grace-period") { Description = "Spare anything younger than this (default 1h; e.g. 00:10:00)" };
        var output = OutputOption();
        var command = new Command("gc", "Remove blobs and manifests nothing references, and expired uploads") { data, config, dryRun, grace, output };
        command.SetAction(async parse =>
        {
            var period = parse.GetValue(grace)?.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
            if (await ResolveAsync("gc", parse.GetValue(config), parse.GetValue(data), new SettingFlag("--grace-period", "garbageCollectionGracePeriod", period))
                is not { } options) return ExitCodes.Usage;
            using var registry = RegistryStorage.Open(options);
            var report = await registry.GarbageCollector.CollectAsync(parse.GetValue(dryRun));
            if (parse.GetValue(output) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(report, Json));
                return ExitCodes.Success;
            }
            var verb = report.DryRun ? "would delete" : "deleted";
            foreach (var blob in report.BlobsDeleted) Console.WriteLine($"blob {verb}: {blob}");
            foreach (var link in report.BlobLinksRemoved) Console.WriteLine($"blob link {verb}: {link}");
            foreach (var manifest in report.ManifestsRemoved) Console.WriteLine($"manifest {verb}: {manifest}");
            Console.WriteLine($"{(report.DryRun ? "Would free" : "Freed")} {HumanUnits.Bytes(report.BytesFreed)} in {report.BlobsDeleted.Count} blob(s); " +
                              $"{report.UploadsExpired} expired upload(s) removed.");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateFsck()
    {
        var data = DataOption();
        var config = ConfigOption();
        var quarantine = new Option<bool>("--quarantine") { Description = "Move damaged blobs to the quarantine folder so they are no longer served" };
        var output = OutputOption();
        var command = new Command("fsck", "Verify every stored blob against its digest and every metadata reference") { data, config, quarantine, output };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (await ResolveAsync("fsck", parse.GetValue(config), parse.GetValue(data)) is not { } options) return ExitCodes.Usage;
            using var registry = RegistryStorage.Open(options);
            var report = await registry.IntegrityChecker.CheckAsync(parse.GetValue(quarantine), cancellationToken);
            if (parse.GetValue(output) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(report, Json));
            }
            else
            {
                foreach (var blob in report.DamagedBlobs) Console.WriteLine($"damaged blob: {blob}");
                foreach (var moved in report.Quarantined) Console.WriteLine($"quarantined: {moved}");
                foreach (var missing in report.MissingBlobs) Console.WriteLine($"missing blob: {missing}");
                foreach (var tag in report.DanglingTags) Console.WriteLine($"dangling tag: {tag}");
                Console.WriteLine($"{report.BlobsChecked} blob(s) checked: {(report.IsHealthy ? "healthy" : "PROBLEMS FOUND")}");
            }
            return report.IsHealthy ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>The registry settings, or null after telling the user what is wrong with them.</summary>
    internal static async Task<RegistryOptions?> ResolveAsync(string command, string? configFile, string? data, params SettingFlag[] flags)
    {
        try
        {
            return BerthConfiguration.Resolve(configFile, [new SettingFlag("--data", "dataDirectory", data), .. flags]).Registry;
        }
        catch (Exception e) when (e is InvalidSettingsException or FormatException or IOException or InvalidDataException)
        {
            await Console.Error.WriteLineAsync($"berth {command}: {e.Message}");
            return null;
        }
    }

    internal static Option<string?> DataOption() => new("--data") { Description = "Data folder (default ./berth-data; env BERTH_DATA)" };

    internal static Option<string?> ConfigOption() => new("--config") { Description = "JSON config file, as for berth serve" };

    internal static Option<string> OutputOption() => new("--output")
    {
        Description = "text or json",
        DefaultValueFactory = _ => "text",
    };
}
