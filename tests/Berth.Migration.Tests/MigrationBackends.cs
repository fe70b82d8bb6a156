using Berth.Testing.Backends;

namespace Berth.Migration.Tests;

/// <summary>A private PostgreSQL cluster and Ceph RADOS Gateway for the migration tests, started once per class.</summary>
public sealed class MigrationBackends : IAsyncLifetime
{
    private PostgreSqlCluster? _postgreSql;
    private CephRadosGateway? _gateway;

    public PostgreSqlCluster PostgreSql => _postgreSql ?? throw new InvalidOperationException("PostgreSQL has not started");

    public CephRadosGateway Gateway => _gateway ?? throw new InvalidOperationException("the gateway has not started");

    public async Task InitializeAsync()
    {
        var postgreSql = PostgreSqlCluster.StartAsync();
        var gateway = CephRadosGateway.StartAsync();
        _postgreSql = await postgreSql;
        _gateway = await gateway;
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null) await _gateway.DisposeAsync();
        if (_postgreSql is not null) await _postgreSql.DisposeAsync();
    }
}
