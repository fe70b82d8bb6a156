using Berth.Storage.PostgreSql;
using Berth.Cli.Commands;
using Npgsql;

namespace Berth.Migration.Tests;

/// <summary><c>berth db status</c> and <c>berth db migrate</c> on a private PostgreSQL cluster.</summary>
public sealed class DatabaseCommandTests(MigrationBackends backends) : IClassFixture<MigrationBackends>
{
    [Fact]
    public async Task Migrate_brings_an_empty_database_to_the_latest_schema_and_status_reports_it()
    {
        using var folder = new TemporaryFolder("berth-db");
        var connectionString = await backends.PostgreSql.CreateDatabaseAsync("dbcommand");
        var config = ConfigFiles.PostgreSql(folder, "berth.json", folder.Sub("data"), connectionString, migrateOnStart: false);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        Assert.Equal(ExitCodes.Failure, await BerthCommandLine.RunAsync(["db", "status", "--config", config])); // behind: version 0
        Assert.Equal(0, await PostgreSqlSchema.CurrentVersionAsync(dataSource));

        Assert.Equal(ExitCodes.Success, await BerthCommandLine.RunAsync(["db", "migrate", "--config", config]));
        Assert.Equal(PostgreSqlSchema.LatestVersion, await PostgreSqlSchema.CurrentVersionAsync(dataSource));
        Assert.Equal(ExitCodes.Success, await BerthCommandLine.RunAsync(["db", "status", "--config", config]));

        // Again: nothing to apply, still at the latest version.
        Assert.Equal(ExitCodes.Success, await BerthCommandLine.RunAsync(["db", "migrate", "--config", config]));
        Assert.Equal(PostgreSqlSchema.LatestVersion, await PostgreSqlSchema.CurrentVersionAsync(dataSource));
    }

    [Fact]
    public async Task Status_fails_on_a_database_newer_than_this_Berth()
    {
        using var folder = new TemporaryFolder("berth-db");
        var connectionString = await backends.PostgreSql.CreateDatabaseAsync("dbnewer");
        var config = ConfigFiles.PostgreSql(folder, "berth.json", folder.Sub("data"), connectionString, migrateOnStart: false);
        Assert.Equal(ExitCodes.Success, await BerthCommandLine.RunAsync(["db", "migrate", "--config", config]));
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await using var command = dataSource.CreateCommand($"INSERT INTO schema_version (version) VALUES ({PostgreSqlSchema.LatestVersion + 1})");
            await command.ExecuteNonQueryAsync();
        }
        Assert.Equal(ExitCodes.Failure, await BerthCommandLine.RunAsync(["db", "status", "--config", config]));
        Assert.Equal(ExitCodes.Failure, await BerthCommandLine.RunAsync(["db", "migrate", "--config", config]));
    }

    [Fact]
    public async Task Both_commands_have_nothing_to_do_on_the_embedded_store()
    {
        using var folder = new TemporaryFolder("berth-db");
        var config = ConfigFiles.Embedded(folder, "berth.json", folder.Sub("data"));
        Assert.Equal(ExitCodes.Success, await BerthCommandLine.RunAsync(["db", "status", "--config", config]));
        Assert.Equal(ExitCodes.Success, await BerthCommandLine.RunAsync(["db", "migrate", "--config", config]));
    }

    [Fact]
    public async Task An_unreachable_database_is_a_clear_failure_not_a_crash()
    {
        using var folder = new TemporaryFolder("berth-db");
        var port = Berth.Testing.Backends.FreePort.Next();
        var config = ConfigFiles.PostgreSql(folder, "berth.json", folder.Sub("data"),
            $"Host=127.0.0.1;Port={port};Username=nobody;Password=secret;Database=none;Timeout=2", migrateOnStart: false);
        Assert.Equal(ExitCodes.Failure, await BerthCommandLine.RunAsync(["db", "status", "--config", config]));
    }
}
