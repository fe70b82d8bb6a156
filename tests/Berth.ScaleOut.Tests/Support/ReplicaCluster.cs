using System.Collections;
using System.Diagnostics;
using Berth.Storage.Configuration;
using Berth.Testing.Backends;

namespace Berth.ScaleOut.Tests.Support;

/// <summary>
/// Three real <c>berth serve</c> processes sharing one database on a private PostgreSQL cluster and one
/// bucket on a private Ceph RADOS Gateway, as a deployment behind a load balancer runs them. Each has
/// its own data folder, so nothing is shared except through PostgreSQL and S3. Started once for the
/// whole collection; fault tests stop and kill parts of it and put them back with
/// <see cref="EnsureHealthyAsync"/>.
/// </summary>
public sealed class ReplicaCluster : IAsyncLifetime
{
    public const int ReplicaCount = 3;

    private readonly List<string> _dataFolders = [];
    private PostgreSqlCluster? _postgres;
    private CephRadosGateway? _gateway;
    private IReadOnlyDictionary<string, string>? _environment;

    public BerthProcess[] Replicas { get; } = new BerthProcess[ReplicaCount];

    /// <summary>One client per replica, indexed like <see cref="Replicas"/>.</summary>
    public HttpClient[] Clients { get; } = new HttpClient[ReplicaCount];

    public PostgreSqlCluster Postgres => _postgres ?? throw new InvalidOperationException("not started");

    public CephRadosGateway Gateway => _gateway ?? throw new InvalidOperationException("not started");

    /// <summary>The environment every replica (and <c>berth gc</c>) runs with.</summary>
    public IReadOnlyDictionary<string, string> Environment => _environment ?? throw new InvalidOperationException("not started");

    /// <summary>How long the backends and the replicas took to start, for the record.</summary>
    public TimeSpan StartDuration { get; private set; }

    public HttpClient Client(int index) => Clients[((index % ReplicaCount) + ReplicaCount) % ReplicaCount];

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        // A private cluster (not the shared one): the fault tests stop it.
        var postgres = PostgreSqlCluster.StartAsync();
        var gateway = CephRadosGateway.StartAsync();
        _postgres = await postgres;
        _gateway = await gateway;
        var database = await _postgres.CreateDatabaseAsync("replicas");
        _environment = ChildEnvironment(database, _gateway, "replicas-" + Guid.NewGuid().ToString("N")[..8]);
        for (var i = 0; i < ReplicaCount; i++) _dataFolders.Add(TemporaryFolder.NewPath($"berth-replica{i}"));
        // All three at once, as a deployment rolls them out: the schema migration must serialise itself.
        await Task.WhenAll(Enumerable.Range(0, ReplicaCount).Select(StartReplicaAsync));
        StartDuration = clock.Elapsed;
    }

    /// <summary>Starts (or starts again, after a kill) replica <paramref name="index"/> on its own data folder.</summary>
    public async Task StartReplicaAsync(int index)
    {
        var process = await BerthProcess.StartAsync(new BerthProcessOptions { DataDirectory = _dataFolders[index], Environment = Environment });
        Replicas[index] = process;
        Clients[index]?.Dispose();
        Clients[index] = new HttpClient { BaseAddress = process.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Puts back whatever an earlier (maybe failed) fault test left stopped or killed.</summary>
    public async Task EnsureHealthyAsync()
    {
        if (!Postgres.IsRunning) await Postgres.StartAsync();
        await Gateway.RestartGatewayAsync();
        for (var i = 0; i < ReplicaCount; i++)
        {
            if (Replicas[i].HasExited)
            {
                await Replicas[i].DisposeAsync();
                await StartReplicaAsync(i);
            }
        }
        // Wait until each replica answers with its metadata store reachable again.
        foreach (var client in Clients) await RegistryCalls.WaitUntilServingAsync(client, TimeSpan.FromSeconds(30));
    }

    /// <summary>The output of every replica, to show with a failing assertion.</summary>
    public string Logs() => string.Join("\n", Replicas.Select((replica, i) => $"--- replica {i}\n{string.Join('\n', replica.Lines.TakeLast(40))}"));

    public async Task DisposeAsync()
    {
        foreach (var client in Clients) client?.Dispose();
        foreach (var replica in Replicas)
        {
            if (replica is not null) await replica.DisposeAsync();
        }
        foreach (var folder in _dataFolders) TemporaryFolder.Delete(folder);
        if (_gateway is not null) await _gateway.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
    }

    /// <summary>
    /// The test host's environment less every BERTH_* variable (so no setting of the host changes what
    /// the replicas serve), plus the shared metadata and storage settings, as an operator would set them.
    /// </summary>
    private static Dictionary<string, string> ChildEnvironment(string connectionString, CephRadosGateway gateway, string bucket)
    {
        var environment = new Dictionary<string, string>();
        foreach (DictionaryEntry variable in System.Environment.GetEnvironmentVariables())
        {
            var name = (string)variable.Key;
            if (!name.StartsWith("BERTH_", StringComparison.Ordinal)) environment[name] = (string?)variable.Value ?? "";
        }
        // The gateway's test options fail a request after one retry (the fault tests stop the gateway).
        var storage = new StorageOptions { Kind = BlobStoreKind.S3, S3 = gateway.StorageOptions(bucket) };
        foreach (var (name, value) in StoreVariables.Of(new MetadataOptions { Kind = MetadataStoreKind.PostgreSql, ConnectionString = connectionString }, storage))
        {
            environment[name] = value;
        }
        // `berth gc` is the one collector in these tests; the replicas' own timer stays off.
        environment["BERTH_GARBAGE_COLLECTION_INTERVAL"] = "00:00:00";
        return environment;
    }
}

/// <summary>Every test class here shares one <see cref="ReplicaCluster"/>; they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class ReplicaCollection : ICollectionFixture<ReplicaCluster>
{
    public const string Name = "Three replicas on PostgreSQL and S3";
}
