using Berth.Storage.Events;
using Npgsql;

namespace Berth.Storage.PostgreSql;

public sealed partial class PostgreSqlMetadataStore
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
    /// Stores the events for a write's changes in the write's own transaction, as its last statements. The
    /// repository's row is locked first (FOR NO KEY UPDATE: it does not block the key-share locks that inserts
    /// referencing the repository take), so writers of one repository take their outbox ids one after another and
    /// ids follow commit order; otherwise a later id could commit first and be delivered before an earlier one.
    /// The lock is held only from here to the commit.
    /// </summary>
    private async Task RecordEventsAsync(NpgsqlConnection c, NpgsqlTransaction t, long repositoryId, IReadOnlyList<RepositoryChange>? changes)
    {
        if (changes is not { Count: > 0 } || _eventPlanner is not { } planner) return;
        var events = planner.Plan(changes);
        if (events.Count == 0) return;
        await ExecuteAsync(c, t, "SELECT 1 FROM repositories WHERE id = @id FOR NO KEY UPDATE", ("id", repositoryId));
        await InsertEventsAsync(c, t, events);
    }

    private async Task InsertEventsAsync(NpgsqlConnection c, NpgsqlTransaction t, IReadOnlyList<PlannedEvent> events)
    {
        var now = Now();
        foreach (var planned in events)
        {
            await ExecuteAsync(c, t, """
                INSERT INTO event_outbox (endpoint, repository, action, payload, created_at, next_attempt_at)
                VALUES (@endpoint, @repository, @action, @payload, @now, @now)
                """, ("endpoint", planned.Endpoint), ("repository", planned.Repository), ("action", planned.Action),
                ("payload", planned.Payload), ("now", now));
        }
    }

    public Task AppendEventsAsync(IReadOnlyList<PlannedEvent> events) => events.Count == 0
        ? Task.CompletedTask
        : WriteAsync(async (c, t) =>
        {
            await InsertEventsAsync(c, t, events);
            return (0, true);
        });

    public Task<IReadOnlyList<EventDelivery>> ClaimEventsAsync(string owner, IReadOnlyCollection<string> endpoints, int limit, TimeSpan lease) =>
        endpoints.Count == 0 ? Task.FromResult<IReadOnlyList<EventDelivery>>([]) : WriteAsync(async (c, t) =>
        {
            var now = Now();
            // The head of each (endpoint, repository) group is its oldest pending row; a group whose head is leased or
            // not yet due has nothing to claim, so its later events wait and order holds. SKIP LOCKED lets replicas
            // claiming at the same moment take different heads instead of queueing on each other's row locks.
            await using var command = Command(c, t, """
                UPDATE event_outbox SET lease_owner = @owner, lease_until = @until
                WHERE id IN (
                    SELECT o.id FROM event_outbox o
                    JOIN (SELECT min(id) AS id FROM event_outbox
                          WHERE status = 0 AND endpoint = ANY(@endpoints)
                          GROUP BY endpoint, repository) heads ON heads.id = o.id
                    WHERE o.next_attempt_at <= @now AND (o.lease_until IS NULL OR o.lease_until <= @now)
                    ORDER BY o.id LIMIT @limit
                    FOR UPDATE OF o SKIP LOCKED)
                RETURNING id, endpoint, repository, action, payload, attempts, created_at
                """, ("owner", owner), ("until", now + (long)lease.TotalMilliseconds), ("now", now), ("limit", (long)limit),
                ("endpoints", endpoints.ToArray()));
            await using var reader = await command.ExecuteReaderAsync();
            var claimed = new List<EventDelivery>();
            while (await reader.ReadAsync())
            {
                claimed.Add(new EventDelivery(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                    reader.GetFieldValue<byte[]>(4), reader.GetInt32(5), Time(reader.GetInt64(6))));
            }
            claimed.Sort((a, b) => a.Id.CompareTo(b.Id));
            return ((IReadOnlyList<EventDelivery>)claimed, claimed.Count > 0);
        });

    public Task CompleteEventAsync(long id) => WriteAsync(async (c, t) =>
        (await ExecuteAsync(c, t, "DELETE FROM event_outbox WHERE id = @id", ("id", id)), true));

    public Task RetryEventLaterAsync(long id, DateTimeOffset notBefore, string error) => WriteAsync(async (c, t) =>
        (await ExecuteAsync(c, t, """
            UPDATE event_outbox SET attempts = attempts + 1, next_attempt_at = @at, last_error = @error, lease_owner = NULL, lease_until = NULL
            WHERE id = @id
            """, ("id", id), ("at", notBefore.ToUnixTimeMilliseconds()), ("error", error)), true));

    public Task GiveUpEventAsync(long id, string error) => WriteAsync(async (c, t) =>
        (await ExecuteAsync(c, t, """
            UPDATE event_outbox SET status = 1, attempts = attempts + 1, last_error = @error, lease_owner = NULL, lease_until = NULL
            WHERE id = @id
            """, ("id", id), ("error", error)), true));

    public IReadOnlyList<EventDeliveryState> ListEvents(int limit) => Read(c =>
    {
        using var command = Command(c, null, """
            SELECT id, endpoint, repository, action, status, attempts, created_at, next_attempt_at, last_error
            FROM event_outbox ORDER BY id LIMIT @limit
            """, ("limit", (long)limit));
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

    public Task<int> RetryFailedEventsAsync(string? endpoint) => WriteAsync(async (c, t) =>
    {
        var count = await ExecuteAsync(c, t, """
            UPDATE event_outbox SET status = 0, next_attempt_at = @now WHERE status = 1 AND (@endpoint::text IS NULL OR endpoint = @endpoint)
            """, ("now", Now()), ("endpoint", endpoint));
        return (count, true);
    });
}
