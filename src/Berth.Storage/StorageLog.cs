using Microsoft.Extensions.Logging;

namespace Berth.Storage;

/// <summary>
/// Every log message of Berth.Storage, with its event id: 1000-1999 (Berth.Server uses 1-999, Berth.Registry
/// 2000-2999), so an operator can filter or alert on an id that never changes meaning.
/// </summary>
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Error,
        Message = "Metadata write transaction of {Jobs} job(s) failed; none was committed and each caller gets the error")]
    public static partial void WriteBatchFailed(this ILogger logger, int jobs, Exception exception);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Metadata write job failed and was rolled back alone")]
    public static partial void WriteJobFailed(this ILogger logger, Exception exception);
}
