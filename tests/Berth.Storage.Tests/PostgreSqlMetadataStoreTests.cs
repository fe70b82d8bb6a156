using Berth.Storage.Metadata;
using Berth.Storage.PostgreSql;
using Berth.Testing.Backends;

namespace Berth.Storage.Tests;

/// <summary>The contract on PostgreSQL: a fresh database per test on the test run's private cluster.</summary>
public sealed class PostgreSqlMetadataStoreTests : MetadataStoreContract
{
    private PostgreSqlCluster _cluster = null!;
    private string _connectionString = "";

    protected override async Task CreateDatabaseAsync()
    {
        _cluster = await PostgreSqlCluster.SharedAsync();
        _connectionString = await _cluster.CreateDatabaseAsync("contract");
    }

    protected override IMetadataBackend OpenInstance() =>
        PostgreSqlMetadataStore.Open(new PostgreSqlMetadataOptions { ConnectionString = _connectionString });

    protected override Task DeleteDatabaseAsync() => _cluster.DropDatabaseAsync(_connectionString);
}
