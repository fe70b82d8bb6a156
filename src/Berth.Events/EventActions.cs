using Berth.Storage.Events;

namespace Berth.Events;

/// <summary>The "action" of an event: CNCF Distribution's four, and Berth's tag-moved.</summary>
public static class EventActions
{
    public const string Push = "push";
    public const string Pull = "pull";
    public const string Mount = "mount";
    public const string Delete = "delete";

    /// <summary>Berth's own: an existing tag now points at another manifest; the target carries both digests.</summary>
    public const string TagMoved = "tag-moved";

    public static readonly IReadOnlyList<string> All = [Push, Pull, Mount, Delete, TagMoved];

    /// <summary>What an endpoint that lists no actions receives.</summary>
    public static readonly IReadOnlyList<string> Default = [Push, Mount, Delete, TagMoved];

    public static string For(ChangeKind kind) => kind switch
    {
        ChangeKind.ManifestPushed or ChangeKind.BlobPushed => Push,
        ChangeKind.BlobMounted => Mount,
        ChangeKind.TagMoved => TagMoved,
        ChangeKind.ManifestPulled or ChangeKind.BlobPulled => Pull,
        _ => Delete,
    };
}
