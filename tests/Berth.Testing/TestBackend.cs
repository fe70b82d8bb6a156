using Berth.Storage.Configuration;
using Berth.Registry;

namespace Berth.Testing;

/// <summary>
/// The storage every in-process Berth of a test run uses. It is chosen here and only here, from the
/// TEST_BERTH_BACKEND environment variable, so whole suites (Server, Conditional, Reliability) run
/// unchanged against each backend. "embedded" (SQLite and files in the data folder) is the default.
/// </summary>
public abstract class TestBackend
{
    /// <summary>Not BERTH_*: berth refuses to start on a BERTH_ variable it does not know, and the tests run berth.</summary>
    public const string EnvironmentVariable = "TEST_BERTH_BACKEND";

    private static readonly Lazy<TestBackend> Chosen = new(() => Named(Environment.GetEnvironmentVariable(EnvironmentVariable)));

    /// <summary>The backend this test run was asked for.</summary>
    public static TestBackend Current => Chosen.Value;

    /// <summary>The embedded stores, for the few tests whose subject is the data folder's own layout.</summary>
    public static TestBackend Embedded { get; } = new EmbeddedBackend();

    public abstract string Name { get; }

    /// <summary>
    /// Whether blob ages (for garbage collection's grace period) come from the registry's clock. An object
    /// store dates objects by its own clock, so a test that fakes the registry's clock cannot age them.
    /// </summary>
    public virtual bool BlobsAgeOnTheRegistryClock => true;

    /// <summary>
    /// Points <paramref name="options"/> at this backend. Registries given the same
    /// <see cref="RegistryOptions.DataDirectory"/> must share one store, as the nodes of a cluster do.
    /// </summary>
    public abstract Task<RegistryOptions> ConfigureAsync(RegistryOptions options, CancellationToken cancellationToken = default);

    /// <summary>
    /// The BERTH_ variables that point a <c>berth serve</c> child process at the stores of
    /// <paramref name="dataDirectory"/>, as an operator would set them; none for the embedded stores.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> EnvironmentAsync(string dataDirectory, CancellationToken cancellationToken = default)
    {
        var options = await ConfigureAsync(new RegistryOptions { DataDirectory = dataDirectory }, cancellationToken);
        return StoreVariables.Of(options.Metadata, options.Storage);
    }

    /// <summary>"embedded", or a metadata engine and a blob store joined by '+': "postgresql+s3", "postgresql+azure", "sqlite+s3"...</summary>
    public static TestBackend Named(string? name)
    {
        var id = string.IsNullOrWhiteSpace(name) ? EmbeddedBackend.Id : name.Trim().ToLowerInvariant();
        if (id == EmbeddedBackend.Id) return new EmbeddedBackend();
        var parts = id.Split('+');
        if (parts is [var metadata, var storage] && metadata is "sqlite" or "postgresql" && storage is "filesystem" or "s3" or "azure")
        {
            return new ServiceBackend(id, metadata == "postgresql", storage);
        }
        throw new InvalidOperationException(
            $"{EnvironmentVariable}={id} names no test backend; known: {EmbeddedBackend.Id}, or METADATA+STORAGE with sqlite|postgresql and filesystem|s3|azure");
    }

    public override string ToString() => Name;

    /// <summary>SQLite metadata and blob files, all inside the data folder: nothing to start.</summary>
    private sealed class EmbeddedBackend : TestBackend
    {
        public const string Id = "embedded";

        public override string Name => Id;

        public override Task<RegistryOptions> ConfigureAsync(RegistryOptions options, CancellationToken cancellationToken = default) =>
            Task.FromResult(options);
    }

    /// <summary>
    /// PostgreSQL and/or an object store, each started once per test process and shared by every registry of
    /// the run: each data folder gets its own database and its own bucket or container, so registries given
    /// the same folder share them (as replicas do) and every other registry starts empty.
    /// </summary>
    private sealed class ServiceBackend(string name, bool postgreSql, string storage) : TestBackend
    {
        private static readonly Lazy<Task<Backends.CephRadosGateway>> Gateway = new(() => Backends.CephRadosGateway.StartAsync());
        private static readonly Lazy<Task<Backends.Azurite>> AzuriteService = new(() => Backends.Azurite.StartAsync());
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<Task<RegistryOptions>>> ByFolder = new();

        public override string Name => name;

        public override bool BlobsAgeOnTheRegistryClock => storage == "filesystem";

        public override Task<RegistryOptions> ConfigureAsync(RegistryOptions options, CancellationToken cancellationToken = default)
        {
            var folder = Path.GetFullPath(options.DataDirectory);
            return ConfigureOnceAsync(options, ByFolder.GetOrAdd(folder, _ => new Lazy<Task<RegistryOptions>>(() => ProvisionAsync(options))));
        }

        /// <summary>The caller's options with the stores provisioned for its folder the first time it was seen.</summary>
        private static async Task<RegistryOptions> ConfigureOnceAsync(RegistryOptions options, Lazy<Task<RegistryOptions>> provisioned)
        {
            var stores = await provisioned.Value;
            return options with { Metadata = stores.Metadata, Storage = stores.Storage };
        }

        private async Task<RegistryOptions> ProvisionAsync(RegistryOptions options)
        {
            var unique = Guid.NewGuid().ToString("N")[..20];
            var metadata = options.Metadata;
            if (postgreSql)
            {
                var cluster = await Backends.PostgreSqlCluster.SharedAsync();
                metadata = new MetadataOptions { Kind = MetadataStoreKind.PostgreSql, ConnectionString = await cluster.CreateDatabaseAsync("registry") };
            }
            var blobs = storage switch
            {
                "s3" => new StorageOptions { Kind = BlobStoreKind.S3, S3 = (await Gateway.Value).StorageOptions("t" + unique) },
                "azure" => new StorageOptions { Kind = BlobStoreKind.Azure, Azure = (await AzuriteService.Value).StorageOptions("t" + unique) },
                _ => options.Storage,
            };
            return options with { Metadata = metadata, Storage = blobs };
        }
    }
}
