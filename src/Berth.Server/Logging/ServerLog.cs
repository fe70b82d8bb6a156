using Microsoft.Extensions.Logging;

namespace Berth.Server.Logging;

/// <summary>
/// Every log message of Berth.Server, with its event id: 1-999 (Berth.Storage uses 1000-1999, Berth.Registry
/// 2000-2999), so an operator can filter or alert on an id that never changes meaning. Ids are grouped by
/// area: requests 1-9, errors, readiness and settings 10-19, uploads 20-29, garbage collection 30-39, authentication 40-49.
/// </summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Method} {Path}{Query} {Status} {Length} {Milliseconds:0.0}ms {Client} {TraceId}")]
    public static partial void RequestCompleted(this ILogger logger, string method, string path, string query, int status, long length, double milliseconds,
        string client, string traceId);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning,
        Message = "Access log: {Count} line(s) dropped, the output was slower than the requests (a queue of {Capacity} lines was full)")]
    public static partial void AccessLogLinesDropped(this ILogger logger, long count, int capacity);

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    public static partial void UnhandledError(this ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(EventId = 11, Level = LogLevel.Critical, Message = "Storage is full: {Reason}")]
    public static partial void StorageFull(this ILogger logger, string reason);

    [LoggerMessage(EventId = 12, Level = LogLevel.Error, Message = "Metadata database unavailable: {Reason}")]
    public static partial void MetadataUnavailable(this ILogger logger, string reason);

    [LoggerMessage(EventId = 13, Level = LogLevel.Error, Message = "Blob storage unavailable: {Reason}")]
    public static partial void BlobStorageUnavailable(this ILogger logger, string reason);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "Not ready: {Check} failed: {Problem}")]
    public static partial void NotReady(this ILogger logger, string check, string problem);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Settings reloaded after {Trigger}: {Applied}")]
    public static partial void SettingsReloaded(this ILogger logger, string trigger, string applied);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "Settings reload: these changes take effect at the next restart: {Settings}")]
    public static partial void SettingsNeedRestart(this ILogger logger, string settings);

    [LoggerMessage(EventId = 17, Level = LogLevel.Error, Message = "Settings reload after {Trigger} refused, the running settings stay: {Reason}")]
    public static partial void SettingsReloadRefused(this ILogger logger, string trigger, string reason);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Removed {Count} expired upload session(s)")]
    public static partial void UploadsExpired(this ILogger logger, int count);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Upload expiry sweep failed")]
    public static partial void UploadSweepFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 30, Level = LogLevel.Information,
        Message = "Garbage collection: {Blobs} blob(s) deleted, {Bytes} bytes freed, {Links} link(s) and {Manifests} manifest(s) removed, {Uploads} upload(s) expired")]
    public static partial void GarbageCollected(this ILogger logger, int blobs, long bytes, int links, int manifests, int uploads);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "Garbage collection failed")]
    public static partial void GarbageCollectionFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 32, Level = LogLevel.Information, Message = "Garbage collection skipped: another replica is collecting")]
    public static partial void GarbageCollectionSkipped(this ILogger logger);

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Bearer token rejected: {Reason}")]
    public static partial void TokenRejected(this ILogger logger, string reason);
}
