using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Berth.Storage;

/// <summary>
/// The metadata stores' instruments (meter "Berth.Storage"): how long a write transaction takes from BEGIN to a durable
/// COMMIT, and how many writes one SQLite group commit carries (one fsync for all of them).
/// </summary>
public static class StorageMetrics
{
    public const string MeterName = "Berth.Storage";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> WriteDuration = Meter.CreateHistogram("berth.storage.write.duration", "s",
        "Metadata write transactions, BEGIN to durable COMMIT",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });

    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram("berth.storage.commit.batch.size", "{write}",
        "Writes committed together by SQLite's group commit",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256] });

    /// <param name="store">"sqlite" or "postgresql".</param>
    public static void WriteCommitted(string store, TimeSpan elapsed) =>
        WriteDuration.Record(elapsed.TotalSeconds, new TagList { { "store", store } });

    public static void GroupCommitted(int writes) => BatchSize.Record(writes);
}
