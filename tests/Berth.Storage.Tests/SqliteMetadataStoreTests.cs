using Berth.Storage.Metadata;

namespace Berth.Storage.Tests;

/// <summary>The contract on the embedded store: a SQLite file in a temporary folder.</summary>
public sealed class SqliteMetadataStoreTests : MetadataStoreContract
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "berth-sqlite-" + Guid.NewGuid().ToString("N")[..12]);

    protected override Task CreateDatabaseAsync()
    {
        Directory.CreateDirectory(_folder);
        return Task.CompletedTask;
    }

    protected override IMetadataBackend OpenInstance() => new SqliteMetadataStore(Path.Combine(_folder, "metadata.db"));

    protected override Task DeleteDatabaseAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }
}
