using System.Collections;
using System.CommandLine;
using Berth.Cli.Configuration;
using Berth.Cli.Invocation;
using Berth.Registry;
using Berth.Registry.Migration;
using Berth.Server.Configuration;
using Berth.Server.Hosting;
using Berth.Storage.Configuration;
using Berth.Storage.PostgreSql;
using Npgsql;

namespace Berth.Cli.Commands;

/// <summary>
/// Moving a registry in and out: <c>berth db migrate|status</c> (the PostgreSQL schema), <c>berth migrate</c>
/// (a whole registry to other backends) and <c>berth import distribution</c> (a CNCF Distribution storage tree).
/// </summary>
internal static class MigrationCommands
{
    public static Command CreateDb()
    {
        var migrate = new Command("migrate", "Bring the PostgreSQL metadata schema to the version this Berth uses");
        var status = new Command("status", "Show the PostgreSQL metadata schema version");
        foreach (var (command, apply) in new[] { (migrate, true), (status, false) })
        {
            var config = ConfigOption();
            command.Options.Add(config);
            command.SetAction(async (parse, cancellationToken) =>
            {
                var name = $"db {command.Name}";
                if (await ResolveAsync(name, parse.GetValue(config), null) is not { } options) return ExitCodes.Usage;
                if (options.Metadata.Kind != MetadataStoreKind.PostgreSql)
                {
                    Console.WriteLine($"The metadata store is {options.Metadata.Kind.ToString().ToLowerInvariant()}: its schema is managed when it opens; nothing to do.");
                    return ExitCodes.Success;
                }
                return await RunSchemaCommandAsync(name, options.Metadata.ConnectionString!, apply, cancellationToken);
            });
        }
        return new Command("db", "The metadata database's schema") { migrate, status };
    }

    private static async Task<int> RunSchemaCommandAsync(string name, string connectionString, bool apply, CancellationToken cancellationToken)
    {
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            if (apply)
            {
                var migration = await PostgreSqlSchema.MigrateAsync(dataSource, cancellationToken);
                Console.WriteLine(migration.Changed
                    ? $"Schema migrated from version {migration.FromVersion} to {migration.ToVersion}."
                    : $"Schema already at version {migration.ToVersion}; nothing to do.");
                return ExitCodes.Success;
            }
            var version = await PostgreSqlSchema.CurrentVersionAsync(dataSource, cancellationToken);
            var state = version == PostgreSqlSchema.LatestVersion ? "up to date"
                : version < PostgreSqlSchema.LatestVersion ? "behind: run `berth db migrate`"
                : "NEWER than this Berth knows";
            Console.WriteLine($"Schema version {version}; this Berth uses version {PostgreSqlSchema.LatestVersion} ({state}).");
            return version == PostgreSqlSchema.LatestVersion ? ExitCodes.Success : ExitCodes.Failure;
        }
        catch (Exception e) when (e is PostgreSqlSchemaException or Storage.Metadata.MetadataStoreUnavailableException or NpgsqlException or ArgumentException)
        {
            // Npgsql's messages name the host and database, never the password.
            await Console.Error.WriteLineAsync($"berth {name}: {e.Message}");
            return ExitCodes.Failure;
        }
    }

    public static Command CreateMigrate()
    {
        var from = new Option<string>("--from") { Description = "Config file of the registry to copy from", Required = true };
        var to = new Option<string>("--to") { Description = "Config file of the registry to copy to", Required = true };
        var command = new Command("migrate",
            "Copy a whole registry to other backends (e.g. SQLite + files to PostgreSQL + S3); safe to run again, and resumes where an interrupted run stopped")
        { from, to };
        command.SetAction(async (parse, cancellationToken) =>
        {
            // Each file describes one side completely: BERTH_* variables would apply to both sides at once.
            var empty = new Hashtable();
            if (await ResolveAsync("migrate", parse.GetValue(from), empty) is not { } source
                || await ResolveAsync("migrate", parse.GetValue(to), empty) is not { } destination) return ExitCodes.Usage;
            if (SameStores(source, destination))
            {
                await Console.Error.WriteLineAsync("berth migrate: --from and --to name the same registry");
                return ExitCodes.Usage;
            }
            return await RunAsync("migrate", source, destination, async (sourceRegistry, destinationRegistry) =>
            {
                var report = await new RegistryCopier(sourceRegistry!, destinationRegistry).CopyAsync(ConsoleProgress, cancellationToken);
                Console.WriteLine($"{report.Repositories} repositories; blobs: {report.BlobsCopied} copied ({HumanUnits.Bytes(report.BytesCopied)}), " +
                                  $"{report.BlobsMounted} mounted, {report.BlobsPresent} already there; manifests: {report.ManifestsCopied} copied, " +
                                  $"{report.ManifestsPresent} already there; tags: {report.TagsCopied} set, {report.TagsPresent} already there.");
                return Finish("migrate", report.Failures);
            });
        });
        return command;
    }

    public static Command CreateImport()
    {
        var path = new Argument<string>("PATH") { Description = "Distribution's storage rootdirectory (or its docker/registry/v2 folder)" };
        var config = ConfigOption();
        var data = new Option<string?>("--data") { Description = "Data folder (default ./berth-data; env BERTH_DATA)" };
        var distribution = new Command("distribution", "Import a CNCF Distribution (docker-registry) filesystem storage tree; safe to run again")
        { path, config, data };
        distribution.SetAction(async (parse, cancellationToken) =>
        {
            if (await ResolveAsync("import distribution", parse.GetValue(config), null, new SettingFlag("--data", "dataDirectory", parse.GetValue(data)))
                is not { } options) return ExitCodes.Usage;
            return await RunAsync("import distribution", null, options, async (_, registry) =>
            {
                var report = await new DistributionImporter(registry).ImportAsync(parse.GetValue(path)!, ConsoleProgress, cancellationToken);
                Console.WriteLine($"{report.Repositories} repositories, {report.Blobs} blobs, {report.Manifests} manifests, {report.Tags} tags imported.");
                return Finish("import distribution", report.Skipped);
            });
        });
        return new Command("import", "Import a registry's storage from another registry implementation") { distribution };
    }

    private static readonly IProgress<string> ConsoleProgress = new ConsoleLines();

    /// <summary>Writes each line as it is reported (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
    private sealed class ConsoleLines : IProgress<string>
    {
        public void Report(string value) => Console.WriteLine(value);
    }

    private static int Finish(string command, IReadOnlyList<string> failures)
    {
        if (failures.Count == 0)
        {
            Console.WriteLine("Complete.");
            return ExitCodes.Success;
        }
        foreach (var failure in failures) Console.Error.WriteLine($"not copied: {failure}");
        Console.Error.WriteLine($"berth {command}: INCOMPLETE, {failures.Count} item(s) not copied (see above)");
        return ExitCodes.Failure;
    }

    /// <summary>Opens the registries (the source only when given), runs <paramref name="work"/>, and turns failures into a message and exit code.</summary>
    private static async Task<int> RunAsync(string command, RegistryOptions? source, RegistryOptions destination,
        Func<BerthRegistry?, BerthRegistry, Task<int>> work)
    {
        BerthRegistry? sourceRegistry = null;
        try
        {
            sourceRegistry = source is null ? null : RegistryStorage.Open(source);
            using var destinationRegistry = RegistryStorage.Open(destination);
            return await work(sourceRegistry, destinationRegistry);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"berth {command}: interrupted; run the same command again to finish (nothing copied so far is copied twice)");
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PostgreSqlSchemaException
                                      or Storage.Metadata.MetadataStoreUnavailableException or Storage.StorageUnavailableException)
        {
            await Console.Error.WriteLineAsync($"berth {command}: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException || e.GetType().Namespace?.StartsWith("Amazon", StringComparison.Ordinal) == true
                                  || e.GetType().Namespace?.StartsWith("Azure", StringComparison.Ordinal) == true)
        {
            // An object store that cannot be reached or refuses: what was copied stays copied, a rerun resumes.
            await Console.Error.WriteLineAsync($"berth {command}: the blob store failed ({e.GetType().Name}: {e.Message}); run the same command again to resume");
            return ExitCodes.Failure;
        }
        finally
        {
            sourceRegistry?.Dispose();
        }
    }

    private static bool SameStores(RegistryOptions a, RegistryOptions b) =>
        a.Metadata.Kind == b.Metadata.Kind && a.Storage.Kind == b.Storage.Kind
        && (a.Metadata.Kind == MetadataStoreKind.PostgreSql
            ? a.Metadata.ConnectionString == b.Metadata.ConnectionString
            : Path.GetFullPath(a.DataDirectory) == Path.GetFullPath(b.DataDirectory));

    private static async Task<RegistryOptions?> ResolveAsync(string command, string? configFile, IDictionary? environment, params SettingFlag[] flags)
    {
        try
        {
            return BerthConfiguration.Resolve(configFile, flags, environment).Registry;
        }
        catch (Exception e) when (e is InvalidSettingsException or FormatException or IOException or InvalidDataException)
        {
            await Console.Error.WriteLineAsync($"berth {command}: {e.Message}");
            return null;
        }
    }

    private static Option<string?> ConfigOption() => new("--config") { Description = "JSON config file, as for berth serve" };
}
