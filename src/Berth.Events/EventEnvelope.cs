using System.Buffers;
using System.Text.Json;
using Berth.Storage.Events;

namespace Berth.Events;

/// <summary>
/// CNCF Distribution's notification format, <c>application/vnd.docker.distribution.events.v1+json</c>: an object
/// with an "events" array, each event with id, timestamp, action, target (mediaType, size, digest, length, repository,
/// tag, fromRepository), actor and source. Berth adds target.previousDigest to tag-moved events. Written with
/// Utf8JsonWriter, so no reflection is involved.
/// </summary>
public static class EventEnvelope
{
    public const string MediaType = "application/vnd.docker.distribution.events.v1+json";

    /// <summary>Distribution's media type for blob targets, which have none of their own.</summary>
    public const string BlobMediaType = "application/octet-stream";

    public static byte[] Format(RepositoryChange change, string action, Guid id, DateTimeOffset timestamp, EventSource source)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("events");
            json.WriteStartObject();
            json.WriteString("id", id.ToString());
            json.WriteString("timestamp", timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("action", action);

            json.WriteStartObject("target");
            json.WriteString("mediaType", TargetMediaType(change));
            if (change.Size is { } size)
            {
                json.WriteNumber("size", size);
                json.WriteNumber("length", size); // Distribution's older name for size, still read by some receivers.
            }
            json.WriteString("digest", change.Digest.ToString());
            json.WriteString("repository", change.Repository);
            if (change.Tag is { } tag) json.WriteString("tag", tag);
            if (change.FromRepository is { } from) json.WriteString("fromRepository", from);
            if (change.PreviousDigest is { } previous) json.WriteString("previousDigest", previous.ToString());
            json.WriteEndObject();

            json.WriteStartObject("actor");
            if (change.Actor is { } actor) json.WriteString("name", actor);
            json.WriteEndObject();

            json.WriteStartObject("source");
            json.WriteString("addr", source.Address);
            json.WriteString("instanceID", source.InstanceId);
            json.WriteEndObject();

            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static string TargetMediaType(RepositoryChange change) => change.MediaType ?? (change.Kind switch
    {
        ChangeKind.BlobPushed or ChangeKind.BlobMounted or ChangeKind.BlobDeleted or ChangeKind.BlobPulled => BlobMediaType,
        _ => "",
    });
}

/// <summary>Which registry sent an event: its address as clients know it and this process's instance id.</summary>
public sealed record EventSource(string Address, string InstanceId)
{
    public static EventSource ForThisProcess(string address) => new(address, Guid.NewGuid().ToString());
}
