using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Berth.Storage.Metadata;

/// <summary>
/// The embedded metadata store: one SQLite database in WAL mode. Writes run in BEGIN IMMEDIATE
/// transactions, which serialise writers across threads and across processes sharing the data folder,
/// so a guarded write's check and change are one atomic step. Split by family of operations.
/// </summary>
public sealed partial class SqliteMetadataStore : IMetadataBackend
{
    private const int SqliteFull = 13; // SQLITE_FULL

    private readonly SqliteConnectionPool _pool;
    private readonly SqliteWriteQueue _writer;
    private readonly ChangeVersion _version;
    private readonly string _databasePath;
    private readonly TimeProvider _time;

    /// <param name="time">The clock for the times recorded (pushes, tag moves, uploads); tests pass a fake one.</param>
    /// <param name="logger">Where the writer thread reports failures.</param>
    public SqliteMetadataStore(string databasePath, TimeProvider? time = null, ILogger? logger = null)
    {
        _databasePath = Path.GetFullPath(databasePath);
        _time = time ?? TimeProvider.System;
        _pool = new SqliteConnectionPool(databasePath);
        _writer = new SqliteWriteQueue(_pool.Rent, logger);
        _version = new ChangeVersion(_pool.Rent());
        Read(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = SqliteSchema.Create;
            command.ExecuteNonQuery();
            return 0;
        });
    }

    public void Dispose()
    {
        _writer.Dispose();
        _version.Dispose();
        _pool.Dispose();
    }

    private T Read<T>(Func<SqliteConnection, T> work)
    {
        var connection = _pool.Rent();
        try
        {
            return work(connection);
        }
        finally
        {
            _pool.Return(connection);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in this process's single writer (see <see cref="SqliteWriteQueue"/>);
    /// its changes commit unless it returns Commit = false.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, (T Result, bool Commit)> work)
    {
        try
        {
            return await _writer.WriteAsync(work);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is SqliteFull)
        {
            throw new StorageFullException("the metadata database cannot grow: the disk is full", e);
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string, object?)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string, object?)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static DateTimeOffset Time(long unixMilliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds);

    private static long? RepositoryId(SqliteConnection connection, SqliteTransaction? transaction, string repository) =>
        (long?)Scalar(connection, transaction, "SELECT id FROM repositories WHERE name = $name", ("$name", repository));

    private long EnsureRepository(SqliteConnection connection, SqliteTransaction transaction, string repository)
    {
        if (RepositoryId(connection, transaction, repository) is { } id) return id;
        Execute(connection, transaction, "INSERT INTO repositories (name, created_at) VALUES ($name, $now)", ("$name", repository), ("$now", Now()));
        return RepositoryId(connection, transaction, repository)!.Value;
    }

    public bool RepositoryExists(string repository) => Read(c => RepositoryId(c, null, repository) is not null);

    public Page ListRepositories(string? last, int limit) => Read(c =>
        ReadPage(c, "SELECT name FROM repositories WHERE name > $last ORDER BY name LIMIT $limit", last, limit));

    /// <summary>Reads one more row than asked for, to know whether a next page exists.</summary>
    private static Page ReadPage(SqliteConnection connection, string sql, string? last, int limit, params (string, object?)[] extra)
    {
        var parameters = new List<(string, object?)>(extra) { ("$last", last ?? ""), ("$limit", limit + 1) };
        using var command = Command(connection, null, sql, [.. parameters]);
        using var reader = command.ExecuteReader();
        var items = new List<string>();
        while (reader.Read()) items.Add(reader.GetString(0));
        var hasMore = items.Count > limit;
        if (hasMore) items.RemoveAt(items.Count - 1);
        return new Page(items, hasMore);
    }
}
