using System.Diagnostics;

namespace Berth.Storage;

/// <summary>
/// Spans for metadata writes (source "Berth.Storage"), as children of the request that waits for them. PostgreSQL
/// statements and object-store calls get spans of their own from Npgsql and HttpClient.
/// </summary>
public static class StorageActivities
{
    public const string SourceName = "Berth.Storage";

    private static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// A span for a write that completes on another thread (SQLite's single writer). Started without becoming the
    /// caller's current activity, so what the caller does next is not mistaken for part of the write.
    /// </summary>
    public static Activity? StartDetached(string name)
    {
        if (!Source.HasListeners()) return null;
        var caller = Activity.Current;
        var activity = Source.StartActivity(name, ActivityKind.Internal);
        Activity.Current = caller;
        return activity;
    }

    /// <summary>A span around a write awaited in place (PostgreSQL).</summary>
    public static Activity? Start(string name) => Source.HasListeners() ? Source.StartActivity(name, ActivityKind.Internal) : null;
}
