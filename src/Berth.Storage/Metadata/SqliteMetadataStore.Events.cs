using Berth.Storage.Events;
using Microsoft.Data.Sqlite;

namespace Berth.Storage.Metadata;

public sealed partial class SqliteMetadataStore
{
    private volatile IEventPlanner? _eventPlanner;

    public IEventPlanner? EventPlanner
    {
        get => _eventPlanner;
        set => _eventPlanner = value;
    }

    /// <summary>Whether writes should collect their changes at all: without a planner they cost nothing.</summary>
    private bool RecordsEvents => _eventPlanner is not null;

    /// <summary>
    /// Stores the events for a write's changes in the write's own transaction. Rows get increasing ids in commit
    /// order, since this process's writer and BEGIN IMMEDIATE across processes let one transaction write at a time.
    /// </summary>
    private void RecordEvents(SqliteConnection c, SqliteTransaction t, IReadOnlyList<RepositoryChange>? changes)
    {
        if (changes is not { Count: > 0 } || _eventPlanner is not { } planner) return;
        InsertEvents(c, t, planner.Plan(changes));
    }

    private void InsertEvents(SqliteConnection c, SqliteTransaction t, IReadOnlyList<PlannedEvent> events)
    {
        var now = Now();
        foreach (var planned in events)
        {
            Execute(c, t, """
                INSERT INTO event_outbox (endpoint, repository, action, payload, created_at, next_attempt_at)
                VALUES ($endpoint, $repository, $action, $payload, $now, $now)
                """, ("$endpoint", planned.Endpoint), ("$repository", planned.Repository), ("$action", planned.Action),
                ("$payload", planned.Payload), ("$now", now));
        }
    }

    public Task AppendEventsAsync(IReadOnlyList<PlannedEvent> events) => events.Count == 0
        ? Task.CompletedTask
        : WriteAsync((c, t) =>
        {
            InsertEvents(c, t, events);
            return (0, true);
        });

    public Task<IReadOnlyList<EventDelivery>> ClaimEventsAsync(string owner, IReadOnlyCollection<string> endpoints, int limit, TimeSpan lease) =>
        endpoints.Count == 0 ? Task.FromResult<IReadOnlyList<EventDelivery>>([]) : WriteAsync((c, t) =>
        {
            var now = Now();
            // The head of each (endpoint, repository) group is its oldest pending row; a group whose head is leased
            // or not yet due has nothing to claim, so its later events wait and order holds.
            var names = endpoints.Select((_, i) => $"$endpoint{i}").ToArray();
            using var command = Command(c, t, $"""
                UPDATE event_outbox SET lease_owner = $owner, lease_until = $until
                WHERE id IN (
                    SELECT o.id FROM event_outbox o
                    JOIN (SELECT min(id) AS id FROM event_outbox
                          WHERE status = 0 AND endpoint IN ({string.Join(", ", names)})
                          GROUP BY endpoint, repository) heads ON heads.id = o.id
                    WHERE o.next_attempt_at <= $now AND (o.lease_until IS NULL OR o.lease_until <= $now)
                    ORDER BY o.id LIMIT $limit)
                RETURNING id, endpoint, repository, action, payload, attempts, created_at
                """, ("$owner", owner), ("$until", now + (long)lease.TotalMilliseconds), ("$now", now), ("$limit", limit));
            foreach (var (name, endpoint) in names.Zip(endpoints)) command.Parameters.AddWithValue(name, endpoint);
            using var reader = command.ExecuteReader();
            var claimed = new List<EventDelivery>();
            while (reader.Read())
            {
                claimed.Add(new EventDelivery(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    (byte[])reader.GetValue(4), reader.GetInt32(5), Time(reader.GetInt64(6))));
            }
            claimed.Sort((a, b) => a.Id.CompareTo(b.Id));
            return ((IReadOnlyList<EventDelivery>)claimed, claimed.Count > 0);
        });

    public Task CompleteEventAsync(long id) => WriteAsync((c, t) =>
        (Execute(c, t, "DELETE FROM event_outbox WHERE id = $id", ("$id", id)), true));

    public Task RetryEventLaterAsync(long id, DateTimeOffset notBefore, string error) => WriteAsync((c, t) =>
        (Execute(c, t, """
            UPDATE event_outbox SET attempts = attempts + 1, next_attempt_at = $at, last_error = $error, lease_owner = NULL, lease_until = NULL
            WHERE id = $id
            """, ("$id", id), ("$at", notBefore.ToUnixTimeMilliseconds()), ("$error", error)), true));

    public Task GiveUpEventAsync(long id, string error) => WriteAsync((c, t) =>
        (Execute(c, t, """
            UPDATE event_outbox SET status = 1, attempts = attempts + 1, last_error = $error, lease_owner = NULL, lease_until = NULL
            WHERE id = $id
            """, ("$id", id), ("$error", error)), true));

    public IReadOnlyList<EventDeliveryState> ListEvents(int limit) => Read(c =>
    {
        using var command = Command(c, null, """
            SELECT id, endpoint, repository, action, status, attempts, created_at, next_attempt_at, last_error
            FROM event_outbox ORDER BY id LIMIT $limit
            """, ("$limit", limit));
        using var reader = command.ExecuteReader();
        var events = new List<EventDeliveryState>();
        while (reader.Read())
        {
            events.Add(new EventDeliveryState(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                (EventDeliveryStatus)reader.GetInt32(4), reader.GetInt32(5), Time(reader.GetInt64(6)), Time(reader.GetInt64(7)),
                reader.IsDBNull(8) ? null : reader.GetString(8)));
        }
        return (IReadOnlyList<EventDeliveryState>)events;
    });

    public Task<int> RetryFailedEventsAsync(string? endpoint) => WriteAsync((c, t) =>
    {
        var count = Execute(c, t, """
            UPDATE event_outbox SET status = 0, next_attempt_at = $now WHERE status = 1 AND ($endpoint IS NULL OR endpoint = $endpoint)
            """, ("$now", Now()), ("$endpoint", endpoint));
        return (count, true);
    });
}
