using Berth.Oci.Digests;

namespace Berth.Storage.Metadata;

public enum WriteStatus
{
    Done,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ImmutableTag,
    MissingReference,
}

/// <summary>
/// The result of a guarded write. <see cref="Current"/> is the target's digest at the time of the
/// decision (the ETag hint for a 412); <see cref="MissingReference"/> names a blob or child manifest
/// that vanished before the commit.
/// </summary>
public readonly record struct WriteOutcome(WriteStatus Status, Digest? Current = null, Digest? MissingReference = null)
{
    public static WriteOutcome Done => new(WriteStatus.Done);

    public static WriteOutcome From(GuardVerdict verdict, Digest? current) => verdict switch
    {
        GuardVerdict.PreconditionFailed => new(WriteStatus.PreconditionFailed, current),
        GuardVerdict.PreconditionRequired => new(WriteStatus.PreconditionRequired, current),
        GuardVerdict.ImmutableTag => new(WriteStatus.ImmutableTag, current),
        _ => new(WriteStatus.Done, current),
    };
}
