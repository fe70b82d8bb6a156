using System.Collections.Concurrent;

namespace Berth.Cache;

/// <summary>
/// Concurrent callers with the same key share one run of the work: 16 pulls of one missing layer make one
/// upstream transfer, 100 pulls of an expired tag one revalidation. A caller that gives up (its client left)
/// stops waiting without cancelling the shared run, which goes on for the others and for the cache.
/// </summary>
internal sealed class SingleFlight<T>
{
    private readonly ConcurrentDictionary<string, Lazy<Task<T>>> _runs = new(StringComparer.Ordinal);

    public Task<T> RunAsync(string key, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        var run = _runs.GetOrAdd(key, _ => new Lazy<Task<T>>(() => RunAndForgetAsync(key, work)));
        return run.Value.WaitAsync(cancellationToken);
    }

    private async Task<T> RunAndForgetAsync(string key, Func<Task<T>> work)
    {
        try
        {
            // Off the caller's stack, so the shared run never carries one caller's context or cancellation.
            return await Task.Run(work);
        }
        finally
        {
            _runs.TryRemove(key, out _);
        }
    }
}
