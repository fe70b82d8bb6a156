using System.Data;
using Berth.Storage.Metadata;
using Npgsql;

namespace Berth.Storage.PostgreSql;

/// <summary>
/// The metadata store on PostgreSQL, shared by several registry replicas. Writes run at READ COMMITTED
/// and get their guarantees from row locks taken inside the transaction: a guarded tag write locks the
/// tag row (<c>SELECT … FOR UPDATE</c>) or creates it with <c>INSERT … ON CONFLICT DO NOTHING</c>, so
/// its precondition is decided on the latest committed state, whichever replica wrote it. Nothing is
/// held in this process between calls. Split by family of operations.
/// </summary>
public sealed partial class PostgreSqlMetadataStore : IMetadataBackend
{
    /// <summary>Deadlocks (40P01) and serialization failures (40001) are retried this many times in all.</summary>
    private const int MaxAttempts = 5;

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;

    private PostgreSqlMetadataStore(NpgsqlDataSource dataSource, TimeProvider time)
    {
        _dataSource = dataSource;
        _time = time;
    }

    /// <summary>
    /// Connects, applies pending migrations (or, with <see cref="PostgreSqlMetadataOptions.MigrateOnStart"/>
    /// off, checks the schema is current) and returns the store. Throws
    /// <see cref="PostgreSqlSchemaException"/> on a schema this binary cannot use and
    /// <see cref="MetadataStoreUnavailableException"/> when the database cannot be reached.
    /// </summary>
    public static async Task<PostgreSqlMetadataStore> OpenAsync(PostgreSqlMetadataOptions options, CancellationToken cancellationToken = default)
    {
        var dataSource = CreateDataSource(options.ConnectionString);
        try
        {
            if (options.MigrateOnStart) await PostgreSqlSchema.MigrateAsync(dataSource, cancellationToken);
            else await PostgreSqlSchema.EnsureCurrentAsync(dataSource, cancellationToken);
            return new PostgreSqlMetadataStore(dataSource, options.Time);
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }
    }

    /// <summary>The synchronous form of <see cref="OpenAsync"/>, for start-up code that is not async.</summary>
    public static PostgreSqlMetadataStore Open(PostgreSqlMetadataOptions options) =>
        OpenAsync(options).GetAwaiter().GetResult();

    /// <summary>
    /// A pooled data source with Berth's settings, unless the connection string says otherwise: statements
    /// used again and again (tag resolution, manifest reads) are prepared automatically, and a connection
    /// going back to the pool is not reset. Npgsql's reset runs seven statements on the server (RESET ALL,
    /// CLOSE ALL, UNLISTEN, pg_advisory_unlock_all, …) before the next command on that connection: it
    /// halved the database's CPU time per manifest GET (110 → 50 µs). Berth changes no session state: it
    /// uses no SET, LISTEN, temporary tables or cursors, and releases its two session advisory locks (the
    /// collector's and the migration's) itself before closing the connection.
    /// </summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        if (!connectionString.Contains("Max Auto Prepare", StringComparison.OrdinalIgnoreCase)) settings.MaxAutoPrepare = 64;
        if (!connectionString.Contains("No Reset On Close", StringComparison.OrdinalIgnoreCase)) settings.NoResetOnClose = true;
        if (string.IsNullOrEmpty(settings.ApplicationName)) settings.ApplicationName = "berth";
        return builder.Build();
    }

    public void Dispose() => _dataSource.Dispose();

    /// <summary>
    /// Runs a read on a pooled connection. A read has no effect, so one that fails on a connection
    /// that broke while idle (the server restarted) is retried once on a fresh connection.
    /// </summary>
    private T Read<T>(Func<NpgsqlConnection, T> work)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var connection = _dataSource.OpenConnection();
                return work(connection);
            }
            catch (Exception e) when (PostgreSqlFailures.IsUnavailable(e))
            {
                // The pool's idle connections are most likely dead too: drop them all, so the service
                // recovers on the next request instead of failing once per pooled connection.
                _dataSource.Clear();
                if (attempt >= 2) throw PostgreSqlFailures.Unavailable(e);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one READ COMMITTED transaction; it commits unless the work
    /// returns Commit = false. Deadlocks are retried (the work runs again from the start, on fresh
    /// state). A connection failure before COMMIT was sent is retried once; after, it is reported,
    /// since whether the commit happened is then unknown to this process.
    /// </summary>
    private async Task<T> WriteAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, Task<(T Result, bool Commit)>> work)
    {
        using var span = StorageActivities.Start("postgresql write");
        for (var attempt = 1; ; attempt++)
        {
            var commitSent = false;
            try
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                await using var connection = await _dataSource.OpenConnectionAsync();
                await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted);
                var (result, commit) = await work(connection, transaction);
                if (!commit)
                {
                    await RollBackQuietlyAsync(transaction);
                    return result;
                }
                commitSent = true;
                await transaction.CommitAsync();
                StorageMetrics.WriteCommitted("postgresql", System.Diagnostics.Stopwatch.GetElapsedTime(started));
                return result;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure
                && attempt < MaxAttempts)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * attempt));
            }
            catch (Exception e) when (PostgreSqlFailures.IsUnavailable(e))
            {
                _dataSource.Clear();
                if (commitSent || attempt >= 2) throw PostgreSqlFailures.Unavailable(e);
            }
        }
    }

    /// <summary>A refused write is rolled back; if the connection is gone, the server has rolled it back already.</summary>
    private static async Task RollBackQuietlyAsync(NpgsqlTransaction transaction)
    {
        try
        {
            await transaction.RollbackAsync();
        }
        catch (Exception e) when (PostgreSqlFailures.IsUnavailable(e))
        {
        }
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    private static object? Scalar(NpgsqlConnection connection, string sql, params (string, object?)[] parameters)
    {
        using var command = Command(connection, null, sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    private static async Task<List<string>> StringsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync();
        var items = new List<string>();
        while (await reader.ReadAsync()) items.Add(reader.GetString(0));
        return items;
    }

    /// <summary>Times are recorded from the registry's clock, not the database's, so grace periods compare like with like.</summary>
    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static DateTimeOffset Time(long unixMilliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds);

    private static long? RepositoryId(NpgsqlConnection connection, string repository) =>
        (long?)Scalar(connection, "SELECT id FROM repositories WHERE name = @name", ("name", repository));

    private static async Task<long?> RepositoryIdAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string repository) =>
        (long?)await ScalarAsync(connection, transaction, "SELECT id FROM repositories WHERE name = @name", ("name", repository));

    /// <summary>
    /// The repository's id, creating the repository if needed (Created: the caller must then bump the
    /// change version, since the catalog changed). ON CONFLICT DO NOTHING waits for a concurrent creator
    /// and then yields to it; the following SELECT (a new snapshot at READ COMMITTED) sees the winner's
    /// row. No row lock is kept on the repository, so writers to one repository do not queue here.
    /// </summary>
    private async Task<(long Id, bool Created)> EnsureRepositoryAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string repository)
    {
        if (await RepositoryIdAsync(connection, transaction, repository) is { } id) return (id, false);
        var created = await ExecuteAsync(connection, transaction,
            "INSERT INTO repositories (name, created_at) VALUES (@name, @now) ON CONFLICT (name) DO NOTHING",
            ("name", repository), ("now", Now()));
        return ((await RepositoryIdAsync(connection, transaction, repository))!.Value, created > 0);
    }

    public bool RepositoryExists(string repository) => Read(c => RepositoryId(c, repository) is not null);

    public Page ListRepositories(string? last, int limit) => Read(c =>
        ReadPage(c, "SELECT name FROM repositories WHERE name > @last ORDER BY name LIMIT @limit", last, limit));

    /// <summary>Reads one more row than asked for, to know whether a next page exists.</summary>
    private static Page ReadPage(NpgsqlConnection connection, string sql, string? last, int limit, params (string, object?)[] extra)
    {
        var parameters = new List<(string, object?)>(extra) { ("last", last ?? ""), ("limit", (long)limit + 1) };
        using var command = Command(connection, null, sql, [.. parameters]);
        using var reader = command.ExecuteReader();
        var items = new List<string>();
        while (reader.Read()) items.Add(reader.GetString(0));
        var hasMore = items.Count > limit;
        if (hasMore) items.RemoveAt(items.Count - 1);
        return new Page(items, hasMore);
    }
}
