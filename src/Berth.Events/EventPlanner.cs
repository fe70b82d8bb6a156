using Berth.Events.Configuration;
using Berth.Oci.Names;
using Berth.Storage.Events;

namespace Berth.Events;

/// <summary>
/// Turns a write's changes into one formatted event per interested endpoint (its actions, repositories and ignored
/// media types). Runs inside the write's transaction, so it only filters and formats. The endpoints are a snapshot a
/// config reload replaces whole; a write plans against one snapshot.
/// </summary>
public sealed class EventPlanner : IEventPlanner
{
    private readonly TimeProvider _time;
    private readonly EventSource _source;
    private volatile IReadOnlyList<EndpointFilter> _filters;

    public EventPlanner(NotificationOptions options, EventSource source, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _source = source;
        _filters = Compile(options);
    }

    /// <summary>Raised after events were planned, so this process's dispatcher looks for them without waiting for its poll.</summary>
    public event Action? Planned;

    /// <summary>Whether any endpoint takes pull events: reads record events only then.</summary>
    public bool WantsPulls => _filters.Any(f => f.Actions.Contains(EventActions.Pull));

    public void Reload(NotificationOptions options) => _filters = Compile(options);

    public IReadOnlyList<PlannedEvent> Plan(IReadOnlyList<RepositoryChange> changes)
    {
        var filters = _filters;
        if (filters.Count == 0) return [];
        var planned = new List<PlannedEvent>();
        var now = _time.GetUtcNow();
        foreach (var change in changes)
        {
            var action = EventActions.For(change.Kind);
            byte[]? payload = null;
            foreach (var filter in filters)
            {
                if (!filter.Accepts(change, action)) continue;
                // Every endpoint gets the same bytes (one event id), as Distribution's broadcaster sends one event to all.
                payload ??= EventEnvelope.Format(change, action, Guid.NewGuid(), now, _source);
                planned.Add(new PlannedEvent(filter.Name, change.Repository, action, payload));
            }
        }
        if (planned.Count > 0) Planned?.Invoke();
        return planned;
    }

    private static IReadOnlyList<EndpointFilter> Compile(NotificationOptions options) =>
        options.Endpoints.Select(e => new EndpointFilter(
            e.Name,
            (e.Actions.Count == 0 ? EventActions.Default : e.Actions).ToHashSet(StringComparer.Ordinal),
            e.Repositories.Select(r => new RepositoryPattern(r)).ToArray(),
            e.IgnoredMediaTypes.ToHashSet(StringComparer.Ordinal))).ToArray();

    private sealed record EndpointFilter(string Name, HashSet<string> Actions, RepositoryPattern[] Repositories, HashSet<string> IgnoredMediaTypes)
    {
        public bool Accepts(RepositoryChange change, string action) =>
            Actions.Contains(action)
            && (Repositories.Length == 0 || Repositories.Any(p => p.Matches(change.Repository)))
            && !IgnoredMediaTypes.Contains(EventEnvelope.TargetMediaType(change));
    }
}
