using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Metadata;

/// <summary>
/// Open connections with Berth's per-connection settings already applied, so a request pays for
/// neither an open nor the pragmas.
/// </summary>
internal sealed class SqliteConnectionPool : IDisposable
{
    /// <summary>
    /// Idle connections kept open. Each holds its own page cache, so this bounds memory; a burst beyond it
    /// opens extra connections and closes them afterwards.
    /// </summary>
    private const int MaxIdle = 16;

    private readonly string _connectionString;
    private readonly ConcurrentBag<SqliteConnection> _idle = [];

    public SqliteConnectionPool(string databasePath)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Pooling = false,
            // Also bounds how long a writer waits for another process's transaction.
            DefaultTimeout = 30,
        }.ToString();
    }

    public SqliteConnection Rent()
    {
        if (_idle.TryTake(out var connection)) return connection;
        connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        // WAL lets readers run beside the single writer; FULL makes every acknowledged commit durable;
        // a 1 MiB page cache per connection keeps the hot index pages without letting memory grow per connection.
        command.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON; PRAGMA cache_size=-1024;";
        command.ExecuteNonQuery();
        return connection;
    }

    public void Return(SqliteConnection connection)
    {
        if (connection.State == System.Data.ConnectionState.Open && _idle.Count < MaxIdle) _idle.Add(connection);
        else connection.Dispose();
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var connection)) connection.Dispose();
    }
}
