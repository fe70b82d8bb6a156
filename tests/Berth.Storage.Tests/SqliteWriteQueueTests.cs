using Berth.Storage.Metadata;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Tests;

/// <summary>
/// The metadata store's single writer: jobs that arrive together share one transaction (group commit),
/// each inside its own SAVEPOINT, so a refused or failing job is undone alone while the rest commit.
/// </summary>
public sealed class SqliteWriteQueueTests : IDisposable
{
    private readonly TemporaryFolder _folder = new("berth-write-queue");
    private readonly SqliteConnectionPool _pool;

    public SqliteWriteQueueTests()
    {
        _pool = new SqliteConnectionPool(_folder.Sub("queue.db"));
        var connection = _pool.Rent();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE items (id INTEGER PRIMARY KEY)";
            create.ExecuteNonQuery();
        }
        _pool.Return(connection);
    }

    public void Dispose()
    {
        _pool.Dispose();
        _folder.Dispose();
    }

    private static void Insert(SqliteConnection connection, SqliteTransaction transaction, long id)
    {
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO items (id) VALUES ($id)";
        insert.Parameters.AddWithValue("$id", id);
        insert.ExecuteNonQuery();
    }

    private static long Count(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var count = connection.CreateCommand();
        count.Transaction = transaction;
        count.CommandText = "SELECT count(*) FROM items";
        return (long)count.ExecuteScalar()!;
    }

    /// <summary>The ids committed, read on a connection of its own (what any other reader sees).</summary>
    private long[] Committed()
    {
        var connection = _pool.Rent();
        try
        {
            using var select = connection.CreateCommand();
            select.CommandText = "SELECT id FROM items ORDER BY id";
            using var reader = select.ExecuteReader();
            var ids = new List<long>();
            while (reader.Read()) ids.Add(reader.GetInt64(0));
            return [.. ids];
        }
        finally
        {
            _pool.Return(connection);
        }
    }

    /// <summary>Occupies the writer thread until released, so the jobs queued meanwhile form one batch.</summary>
    private static (Task Job, ManualResetEventSlim Release) HoldWriter(SqliteWriteQueue queue)
    {
        var running = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        var job = queue.WriteAsync<int>((_, _) =>
        {
            running.Set();
            release.Wait(TimeSpan.FromSeconds(30));
            return (0, true);
        });
        // Once it runs, its own batch is closed: whatever is queued from now on waits for the next one.
        Assert.True(running.Wait(TimeSpan.FromSeconds(30)), "the writer never ran the holding job");
        return (job, release);
    }

    [Fact]
    public async Task RefusedJob_RollsBackAlone_WhileTheOthersInItsBatchCommit()
    {
        using var queue = new SqliteWriteQueue(_pool.Rent);
        var (holder, release) = HoldWriter(queue);
        var transactions = new SqliteTransaction?[4];

        var first = queue.WriteAsync((c, t) =>
        {
            transactions[0] = t;
            Insert(c, t, 1);
            return ("first", true);
        });
        var refused = queue.WriteAsync((c, t) =>
        {
            transactions[1] = t;
            Insert(c, t, 2);
            return ("refused", false); // e.g. a failed precondition
        });
        var throwing = queue.WriteAsync<string>((c, t) =>
        {
            transactions[2] = t;
            Insert(c, t, 3);
            throw new InvalidOperationException("this job breaks");
        });
        var last = queue.WriteAsync((c, t) =>
        {
            transactions[3] = t;
            Insert(c, t, 4);
            // Within the batch, the first job's change is visible; the refused and the failed ones are gone.
            return (Count(c, t), true);
        });
        release.Set();
        await holder;

        Assert.Equal("first", await first);
        Assert.Equal("refused", await refused); // a refusal is an answer, not an error
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => throwing);
        Assert.Equal("this job breaks", failure.Message);
        Assert.Equal(2, await last);
        Assert.Equal([1L, 4L], Committed());
        // One transaction for the whole batch: one COMMIT, one fsync.
        Assert.All(transactions, t => Assert.Same(transactions[0], t));
    }

    [Fact]
    public async Task CallerHearsBack_OnlyOnceItsChangeIsCommitted()
    {
        using var queue = new SqliteWriteQueue(_pool.Rent);

        await queue.WriteAsync((c, t) =>
        {
            Insert(c, t, 7);
            return (0, true);
        });

        Assert.Equal([7L], Committed());
    }

    [Fact]
    public async Task FailedBatch_FailsEveryJobInIt_AndTheWriterRecovers()
    {
        var opens = 0;
        using var queue = new SqliteWriteQueue(() =>
            Interlocked.Increment(ref opens) == 1 ? throw new SqliteException("disk I/O error", 10) : _pool.Rent());

        var failed = await Assert.ThrowsAsync<SqliteException>(() => queue.WriteAsync((c, t) =>
        {
            Insert(c, t, 1);
            return (0, true);
        }));
        Assert.Equal(10, failed.SqliteErrorCode);

        // The next batch opens a new connection and commits.
        await queue.WriteAsync((c, t) =>
        {
            Insert(c, t, 2);
            return (0, true);
        });
        Assert.Equal([2L], Committed());
        Assert.Equal(2, opens);
    }

    [Fact]
    public async Task AfterDispose_NewJobsAreRefused_AndQueuedOnesHaveRun()
    {
        var queue = new SqliteWriteQueue(_pool.Rent);
        var queued = queue.WriteAsync((c, t) =>
        {
            Insert(c, t, 5);
            return (0, true);
        });

        queue.Dispose();

        await queued;
        Assert.Equal([5L], Committed());
        Assert.Throws<ObjectDisposedException>(() => { _ = queue.WriteAsync((_, _) => (0, true)); });
    }
}
