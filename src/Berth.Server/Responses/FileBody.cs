using Microsoft.AspNetCore.Http;

namespace Berth.Server.Responses;

/// <summary>
/// Sends a byte range of a blob file as the response body. Kestrel has no zero-copy sendfile path, and
/// its fallback copies in small pieces; reading straight into the response pipe's buffer in large
/// chunks makes one copy from the page cache and one large socket write per chunk.
/// </summary>
internal static class FileBody
{
    private const int ChunkSize = 1 << 20;

    public static async Task SendAsync(HttpResponse response, string path, long offset, long count, CancellationToken cancellationToken)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
        var writer = response.BodyWriter;
        while (count > 0)
        {
            var memory = writer.GetMemory((int)Math.Min(ChunkSize, count));
            var target = memory[..(int)Math.Min(memory.Length, count)];
            // A page-cache read is a memory copy; doing it synchronously avoids a thread hop per chunk.
            var read = RandomAccess.Read(file, target.Span, offset);
            if (read == 0) throw new IOException($"blob file {Path.GetFileName(path)} is shorter than its recorded length");
            writer.Advance(read);
            offset += read;
            count -= read;
            var flushed = await writer.FlushAsync(cancellationToken);
            if (flushed.IsCanceled || flushed.IsCompleted) return;
        }
    }
}
