using Berth.Storage.PostgreSql;
using Berth.Testing.Backends;
using Npgsql;

namespace Berth.Storage.Tests;

/// <summary>Schema versions: applied once, in order, by one process at a time; never downgraded.</summary>
public sealed class PostgreSqlMigrationTests
{
    [Fact]
    public async Task A_fresh_database_is_migrated_to_the_latest_version_and_a_second_run_changes_nothing()
    {
        await using var dataSource = await FreshDatabaseAsync();
        Assert.Equal(0, await PostgreSqlSchema.CurrentVersionAsync(dataSource));

        var first = await PostgreSqlSchema.MigrateAsync(dataSource);
        var second = await PostgreSqlSchema.MigrateAsync(dataSource);

        Assert.Equal(new SchemaMigration(0, PostgreSqlSchema.LatestVersion), first);
        Assert.True(first.Changed);
        Assert.Equal(new SchemaMigration(PostgreSqlSchema.LatestVersion, PostgreSqlSchema.LatestVersion), second);
        Assert.False(second.Changed);
        Assert.Equal(PostgreSqlSchema.LatestVersion, await CountAsync(dataSource, "SELECT count(*) FROM schema_version"));
        Assert.Equal(64, await CountAsync(dataSource, "SELECT count(*) FROM change_counters"));
    }

    [Fact]
    public async Task Three_replicas_migrating_at_once_apply_each_version_once()
    {
        await using var dataSource = await FreshDatabaseAsync();
        var connectionString = dataSource.ConnectionString;
        var replicas = Enumerable.Range(0, 3).Select(_ => PostgreSqlMetadataStore.CreateDataSource(connectionString)).ToList();
        try
        {
            var results = await Task.WhenAll(replicas.Select(replica => Task.Run(() => PostgreSqlSchema.MigrateAsync(replica))));

            Assert.Single(results, result => result.Changed);
            Assert.All(results, result => Assert.Equal(PostgreSqlSchema.LatestVersion, result.ToVersion));
            Assert.Equal(PostgreSqlSchema.LatestVersion, await CountAsync(dataSource, "SELECT count(*) FROM schema_version"));
        }
        finally
        {
            foreach (var replica in replicas) await replica.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_schema_newer_than_this_binary_is_refused_with_a_clear_error()
    {
        await using var dataSource = await FreshDatabaseAsync();
        await PostgreSqlSchema.MigrateAsync(dataSource);
        var newer = PostgreSqlSchema.LatestVersion + 1;
        await CountAsync(dataSource, $"INSERT INTO schema_version (version) VALUES ({newer}) RETURNING 1");

        var onOpen = Assert.Throws<PostgreSqlSchemaException>(() =>
            PostgreSqlMetadataStore.Open(new PostgreSqlMetadataOptions { ConnectionString = dataSource.ConnectionString }));
        var onMigrate = await Assert.ThrowsAsync<PostgreSqlSchemaException>(() => PostgreSqlSchema.MigrateAsync(dataSource));
        var withoutMigration = Assert.Throws<PostgreSqlSchemaException>(() =>
            PostgreSqlMetadataStore.Open(new PostgreSqlMetadataOptions { ConnectionString = dataSource.ConnectionString, MigrateOnStart = false }));

        Assert.Contains($"version {newer}, newer than this Berth knows", onOpen.Message);
        Assert.Equal(onOpen.Message, onMigrate.Message);
        Assert.Equal(onOpen.Message, withoutMigration.Message);
    }

    [Fact]
    public async Task Without_migration_on_start_an_unmigrated_database_is_refused_until_migrated()
    {
        await using var dataSource = await FreshDatabaseAsync();
        var options = new PostgreSqlMetadataOptions { ConnectionString = dataSource.ConnectionString, MigrateOnStart = false };

        var refused = Assert.Throws<PostgreSqlSchemaException>(() => PostgreSqlMetadataStore.Open(options));
        Assert.Contains("berth db migrate", refused.Message);
        Assert.Equal(0, await PostgreSqlSchema.CurrentVersionAsync(dataSource)); // nothing was created

        await PostgreSqlSchema.MigrateAsync(dataSource);
        using var store = PostgreSqlMetadataStore.Open(options);
        Assert.False(store.RepositoryExists("anything"));
    }

    private static async Task<NpgsqlDataSource> FreshDatabaseAsync()
    {
        var cluster = await PostgreSqlCluster.SharedAsync();
        return PostgreSqlMetadataStore.CreateDataSource(await cluster.CreateDatabaseAsync("migration"));
    }

    private static async Task<long> CountAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }
}
