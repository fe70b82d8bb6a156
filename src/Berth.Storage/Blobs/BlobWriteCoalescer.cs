using System.Collections.Concurrent;
using Berth.Oci.Digests;

namespace Berth.Storage.Blobs;

/// <summary>
/// Lets concurrent stores of one digest in this process share a single write to the object store. The key
/// is content-addressed and every caller's bytes were verified against it, so one write serves them all;
/// and object stores handle concurrent writes to one key badly (Ceph RGW takes them one at a time, about
/// 0.3 s each here, so 64 clients pushing a common layer at once waited 20 s). A caller that arrives after
/// a write has started joins it: the object it finds is as new as the one it would have written, which is
/// all garbage collection's grace period asks. If the shared write fails, each joiner tries its own.
/// </summary>
public sealed class BlobWriteCoalescer
{
    private readonly ConcurrentDictionary<Digest, Task> _writes = new();

    public async Task StoreAsync(Digest digest, Func<Task> write, CancellationToken cancellationToken)
    {
        var ours = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var current = _writes.GetOrAdd(digest, ours.Task);
        if (current != ours.Task)
        {
            try
            {
                await current.WaitAsync(cancellationToken);
                return;
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The shared write failed for its own caller (client gone, store error): ours decides for us.
                await write();
                return;
            }
        }
        try
        {
            await write();
            ours.SetResult();
        }
        catch (Exception e)
        {
            ours.SetException(e);
            // Observed here, so a failure nobody joined is not reported as unobserved.
            _ = ours.Task.Exception;
            throw;
        }
        finally
        {
            _writes.TryRemove(KeyValuePair.Create(digest, ours.Task));
        }
    }
}
