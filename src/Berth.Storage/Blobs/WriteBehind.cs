using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Berth.Storage.Blobs;

/// <summary>
/// Starts writing a file's dirty pages to disk while the upload is still arriving (Linux
/// sync_file_range with SYNC_FILE_RANGE_WRITE, which does not wait). The fsync at the end then finds
/// little left to flush, so receiving, hashing and disk writes overlap instead of running one after
/// the other. Elsewhere it does nothing and the final fsync does all the work.
/// </summary>
internal static partial class WriteBehind
{
    /// <summary>How much to accumulate before asking the kernel to start writing it out.</summary>
    public const long Interval = 8L << 20;

    private const uint SyncFileRangeWrite = 2;

    private static bool _unavailable = !OperatingSystem.IsLinux();

    public static void Start(SafeFileHandle file, long offset, long length)
    {
        if (_unavailable || length <= 0) return;
        try
        {
            _ = SyncFileRange(file, offset, length, SyncFileRangeWrite);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            _unavailable = true;
        }
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(SafeFileHandle fd, long offset, long nbytes, uint flags);
}
