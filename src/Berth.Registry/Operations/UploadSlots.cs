using Berth.Oci.Errors;

namespace Berth.Registry.Operations;

/// <summary>
/// Bounds how many upload requests stream data at once, so a flood of uploads cannot exhaust disk
/// bandwidth, file handles or memory for everyone else. Excess requests are told to come back
/// (429 TOOMANYREQUESTS with Retry-After) instead of queueing without limit.
/// </summary>
internal sealed class UploadSlots(int? limit)
{
    private readonly SemaphoreSlim? _slots = limit is > 0 ? new SemaphoreSlim(limit.Value, limit.Value) : null;
    private int _inUse;

    /// <summary>Upload requests streaming data now (a gauge for /metrics).</summary>
    public int InUse => Volatile.Read(ref _inUse);

    /// <summary>A held slot, or null with <paramref name="refusal"/> when all are taken.</summary>
    public IDisposable? TryTake(out RegistryError? refusal)
    {
        refusal = null;
        if (_slots is not null && !_slots.Wait(0))
        {
            refusal = RegistryError.TooManyRequests($"more than {limit} uploads are in progress; retry shortly", TimeSpan.FromSeconds(1));
            return null;
        }
        Interlocked.Increment(ref _inUse);
        return new Slot(this);
    }

    private sealed class Slot(UploadSlots owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            Interlocked.Decrement(ref owner._inUse);
            owner._slots?.Release();
        }
    }
}
