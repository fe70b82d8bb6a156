using Microsoft.Extensions.Logging;

namespace Berth.Registry;

/// <summary>
/// Every log message of Berth.Registry, with its event id: 2000-2999 (Berth.Server uses 1-999, Berth.Storage
/// 1000-1999), so an operator can filter or alert on an id that never changes meaning.
/// </summary>
internal static partial class RegistryLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Debug, Message = "Garbage collection removed manifest {Manifest}")]
    public static partial void ManifestCollected(this ILogger logger, string manifest);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Debug, Message = "Garbage collection removed blob {Digest} ({Bytes} bytes)")]
    public static partial void BlobCollected(this ILogger logger, string digest, long bytes);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Error, Message = "Blob {Digest} does not match its digest")]
    public static partial void DamagedBlob(this ILogger logger, string digest);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Damaged blob {Digest} moved to quarantine at {Path}; it is no longer served")]
    public static partial void BlobQuarantined(this ILogger logger, string digest, string path);
}
