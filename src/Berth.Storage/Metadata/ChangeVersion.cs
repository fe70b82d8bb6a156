using Microsoft.Data.Sqlite;

namespace Berth.Storage.Metadata;

/// <summary>
/// A number that changes whenever anything commits to the database, from this process or another
/// (SQLite's PRAGMA data_version, read on a connection that never writes). Read caches label what they
/// hold with it and drop it the moment it differs, so a cache never serves stale data, even to a
/// client that wrote through another registry process.
/// </summary>
internal sealed class ChangeVersion : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _query;
    private readonly Lock _lock = new();

    public ChangeVersion(SqliteConnection connection)
    {
        _connection = connection;
        _query = connection.CreateCommand();
        _query.CommandText = "PRAGMA data_version";
    }

    public long Read()
    {
        lock (_lock)
        {
            return (long)_query.ExecuteScalar()!;
        }
    }

    public void Dispose()
    {
        _query.Dispose();
        _connection.Dispose();
    }
}
