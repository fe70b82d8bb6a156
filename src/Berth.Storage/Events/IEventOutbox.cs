namespace Berth.Storage.Events;

/// <summary>
/// The events waiting for delivery, kept in the metadata store beside the writes that produced them. Deliveries are
/// ordered per endpoint and repository: only the oldest pending event of each (endpoint, repository) group can be
/// claimed, and a claim is a lease, so replicas (or processes sharing one data folder) deliver different groups at
/// once and never two events of one group out of order. A lease that runs out (its holder died) frees the event for
/// another claim: delivery is at least once.
/// </summary>
public interface IEventOutbox
{
    /// <summary>Set once by the host that delivers events; while null, writes record no events.</summary>
    IEventPlanner? EventPlanner { get; set; }

    /// <summary>Records events that no write carries (pulls), in their own transaction.</summary>
    Task AppendEventsAsync(IReadOnlyList<PlannedEvent> events);

    /// <summary>
    /// Leases up to <paramref name="limit"/> events that are due, each the oldest pending event of its group, for
    /// <paramref name="lease"/>; only events for <paramref name="endpoints"/> (the ones this process knows).
    /// </summary>
    Task<IReadOnlyList<EventDelivery>> ClaimEventsAsync(string owner, IReadOnlyCollection<string> endpoints, int limit, TimeSpan lease);

    /// <summary>Removes a delivered event; its group's next event becomes claimable.</summary>
    Task CompleteEventAsync(long id);

    /// <summary>Releases the lease and makes the event due again at <paramref name="notBefore"/>; it stays its group's head.</summary>
    Task RetryEventLaterAsync(long id, DateTimeOffset notBefore, string error);

    /// <summary>Stops retrying: the event is kept as failed (for <c>berth events</c>) and its group moves on.</summary>
    Task GiveUpEventAsync(long id, string error);

    /// <summary>Pending and failed events, oldest first.</summary>
    IReadOnlyList<EventDeliveryState> ListEvents(int limit);

    /// <summary>Makes failed events pending again (all, or one endpoint's); the number requeued.</summary>
    Task<int> RetryFailedEventsAsync(string? endpoint);
}

/// <summary>A claimed event: what to send, and how many attempts came before this one.</summary>
public sealed record EventDelivery(long Id, string Endpoint, string Repository, string Action, byte[] Payload, int Attempts, DateTimeOffset CreatedAt);

public enum EventDeliveryStatus
{
    Pending,
    Failed,
}

public sealed record EventDeliveryState(long Id, string Endpoint, string Repository, string Action, EventDeliveryStatus Status,
    int Attempts, DateTimeOffset CreatedAt, DateTimeOffset NextAttemptAt, string? LastError);
