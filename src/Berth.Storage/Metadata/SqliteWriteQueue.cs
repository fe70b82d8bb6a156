using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Metadata;

/// <summary>
/// The single writer of this process: write jobs queue here and one thread runs them. Jobs that
/// arrive together share one transaction and therefore one fsync (group commit), while each job runs
/// inside its own SAVEPOINT, so one job's refusal (a failed precondition) rolls back only that job.
/// A job's caller hears back only after the COMMIT is durable. Across processes sharing the data
/// folder, BEGIN IMMEDIATE and SQLite's busy timeout serialise the writers.
/// </summary>
internal sealed class SqliteWriteQueue : IDisposable
{
    /// <summary>Bounds a batch so one slow group cannot hold the write lock for long.</summary>
    private const int MaxBatch = 256;

    private readonly Func<SqliteConnection> _open;
    private readonly Channel<IWriteJob> _jobs = Channel.CreateUnbounded<IWriteJob>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Thread _thread;
    private readonly ILogger _logger;

    public SqliteWriteQueue(Func<SqliteConnection> open, ILogger? logger = null)
    {
        _open = open;
        _logger = logger ?? NullLogger.Instance;
        _thread = new Thread(Run) { IsBackground = true, Name = "berth-metadata-writer" };
        _thread.Start();
    }

    /// <summary>
    /// Queues <paramref name="work"/>; it runs in a transaction shared with other jobs and commits
    /// unless it returns Commit = false (then only its own changes are undone).
    /// </summary>
    public Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, (T Result, bool Commit)> work)
    {
        var job = new WriteJob<T>(work, StorageActivities.StartDetached("sqlite write"));
        if (!_jobs.Writer.TryWrite(job)) throw new ObjectDisposedException(nameof(SqliteWriteQueue));
        return job.Completion.Task;
    }

    public void Dispose()
    {
        _jobs.Writer.TryComplete();
        _thread.Join();
    }

    private void Run()
    {
        SqliteConnection? connection = null;
        var batch = new List<IWriteJob>(MaxBatch);
        var reader = _jobs.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && reader.TryRead(out var job)) batch.Add(job);
            try
            {
                connection ??= _open();
                RunBatch(connection, batch);
            }
            catch (Exception e)
            {
                // The whole transaction failed (disk full, I/O error): nothing of the batch was committed.
                _logger.WriteBatchFailed(batch.Count, e);
                foreach (var job in batch) job.Fail(e);
                connection?.Dispose();
                connection = null;
            }
        }
        connection?.Dispose();
    }

    private void RunBatch(SqliteConnection connection, List<IWriteJob> batch)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var transaction = connection.BeginTransaction(deferred: false);
        var ran = new List<IWriteJob>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var savepoint = "job" + i;
            transaction.Save(savepoint);
            try
            {
                if (batch[i].Run(connection, transaction)) transaction.Release(savepoint);
                else transaction.Rollback(savepoint);
                ran.Add(batch[i]);
            }
            catch (Exception e)
            {
                transaction.Rollback(savepoint);
                _logger.WriteJobFailed(e);
                batch[i].Fail(e);
            }
        }
        transaction.Commit();
        StorageMetrics.WriteCommitted("sqlite", System.Diagnostics.Stopwatch.GetElapsedTime(started));
        StorageMetrics.GroupCommitted(batch.Count);
        foreach (var job in ran) job.Complete();
    }

    private interface IWriteJob
    {
        /// <summary>Runs the job's statements; false means undo them.</summary>
        bool Run(SqliteConnection connection, SqliteTransaction transaction);

        /// <summary>Reports the result, once the transaction is durable.</summary>
        void Complete();

        void Fail(Exception exception);
    }

    private sealed class WriteJob<T>(Func<SqliteConnection, SqliteTransaction, (T Result, bool Commit)> work, System.Diagnostics.Activity? span)
        : IWriteJob
    {
        private T? _result;

        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Run(SqliteConnection connection, SqliteTransaction transaction)
        {
            var (result, commit) = work(connection, transaction);
            _result = result;
            return commit;
        }

        public void Complete()
        {
            span?.Dispose();
            Completion.TrySetResult(_result!);
        }

        public void Fail(Exception exception)
        {
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, exception.Message);
            span?.Dispose();
            Completion.TrySetException(exception);
        }
    }
}
