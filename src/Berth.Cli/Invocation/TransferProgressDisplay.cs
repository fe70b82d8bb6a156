using Berth.Client;
using Berth.Client.Copying;
using Berth.Oci.Manifests;
using Spectre.Console;

namespace Berth.Cli.Invocation;

/// <summary>
/// Progress bars for transfers, drawn only when stdout is a terminal and the output is text: piped or
/// JSON output stays clean for scripts.
/// </summary>
internal sealed class TransferProgressDisplay(bool enabled)
{
    public bool Enabled { get; } = enabled;

    /// <summary>Runs <paramref name="work"/> with an observer that draws one bar per blob (null when disabled).</summary>
    public async Task<T> RunAsync<T>(Func<ICopyObserver?, Task<T>> work)
    {
        if (!Enabled) return await work(null);
        return await NewProgress().StartAsync(context => work(new BarPerBlob(context)));
    }

    /// <summary>One bar for a single transfer.</summary>
    public async Task<T> RunSingleAsync<T>(string label, long? total, Func<IProgress<long>?, Task<T>> work)
    {
        if (!Enabled) return await work(null);
        return await NewProgress().StartAsync(async context =>
        {
            var task = context.AddTask(Markup.Escape(label), maxValue: total ?? 1);
            task.IsIndeterminate = total is null;
            var result = await work(new Reporter(task));
            task.Value = task.MaxValue;
            task.StopTask();
            return result;
        });
    }

    private static Progress NewProgress() => AnsiConsole.Progress()
        .AutoClear(false)
        .HideCompleted(false)
        .Columns(
            new TaskDescriptionColumn(),
            new ProgressBarColumn(),
            new PercentageColumn(),
            new DownloadedColumn(),
            new TransferSpeedColumn(),
            new RemainingTimeColumn());

    private sealed class Reporter(ProgressTask task) : IProgress<long>
    {
        public void Report(long value) => task.Value = Math.Min(value, task.MaxValue);
    }

    private sealed class BarPerBlob(ProgressContext context) : ICopyObserver
    {
        private readonly Dictionary<string, ProgressTask> _tasks = [];

        public IProgress<long>? BlobStarting(Descriptor blob)
        {
            var task = context.AddTask(Markup.Escape(ShortDigest(blob.Digest)), maxValue: Math.Max(1, blob.Size));
            lock (_tasks) _tasks[blob.Digest] = task;
            return new Reporter(task);
        }

        public void BlobFinished(Descriptor blob, BlobPushOutcome outcome)
        {
            ProgressTask? task;
            lock (_tasks) _tasks.TryGetValue(blob.Digest, out task);
            if (task is null) return;
            task.Description = Markup.Escape($"{ShortDigest(blob.Digest)} {Describe(outcome)}");
            task.Value = task.MaxValue;
            task.StopTask();
        }

        private static string Describe(BlobPushOutcome outcome) => outcome switch
        {
            BlobPushOutcome.AlreadyPresent => "exists",
            BlobPushOutcome.Mounted => "mounted",
            _ => "done",
        };
    }

    public static string ShortDigest(string digest)
    {
        var colon = digest.IndexOf(':');
        return colon >= 0 && digest.Length > colon + 13 ? digest[..(colon + 13)] : digest;
    }
}
