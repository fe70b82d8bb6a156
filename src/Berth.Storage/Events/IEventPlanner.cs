namespace Berth.Storage.Events;

/// <summary>
/// Decides which notification endpoint receives which event for the changes a write made. The store calls it inside
/// the write's transaction and stores what it returns in the same transaction (the transactional outbox), so an
/// acknowledged write always has its events recorded, and a write rolled back never has any. It must be quick and do
/// no I/O: it runs while the write holds its locks.
/// </summary>
public interface IEventPlanner
{
    IReadOnlyList<PlannedEvent> Plan(IReadOnlyList<RepositoryChange> changes);
}

/// <summary>One event for one endpoint, formatted when planned: a retry later sends exactly these bytes again.</summary>
public sealed record PlannedEvent(string Endpoint, string Repository, string Action, byte[] Payload);
