using Berth.Oci.Digests;
using Berth.Oci.Preconditions;

namespace Berth.Storage.Metadata;

public enum GuardVerdict
{
    Allow,
    PreconditionFailed,
    PreconditionRequired,
    ImmutableTag,
}

/// <summary>
/// What must hold for a tag or manifest write to go ahead, evaluated by the store inside the same
/// transaction as the write (the way Garnet pushes SETIFMATCH down to storage), so no other writer
/// can slip in between the check and the change.
/// </summary>
public sealed record WriteGuard
{
    public static readonly WriteGuard None = new();

    public RequestPreconditions Preconditions { get; init; } = RequestPreconditions.None;

    /// <summary>
    /// Policy, per tag name: overwriting or deleting that tag once it exists needs If-Match,
    /// If-None-Match or If-Unmodified-Since (RFC 6585 428). Null when no such policy applies.
    /// </summary>
    public Func<string, bool>? RequiresPreconditions { get; init; }

    /// <summary>Policy, per tag name: once it exists, that tag never moves and is never deleted. Null when none applies.</summary>
    public Func<string, bool>? IsImmutable { get; init; }

    public bool HasPolicy => RequiresPreconditions is not null || IsImmutable is not null;

    // The states below are the one definition of what a write is judged against, used both by the early check
    // before a manifest body is read and by the store inside the write transaction, so the two cannot disagree.

    /// <summary>A tag as a write target: the digest it points at is its ETag, the time it last moved its Last-Modified.</summary>
    public static ResourceState TagTarget(Digest? current, DateTimeOffset? movedAt) =>
        current is { } digest ? ResourceState.Present(EntityTag.ForDigest(digest), movedAt) : ResourceState.Missing;

    /// <summary>A manifest or blob addressed by digest: content never changes under a digest, so the digest is the ETag.</summary>
    public static ResourceState DigestTarget(Digest digest, bool exists) =>
        exists ? ResourceState.Present(EntityTag.ForDigest(digest)) : ResourceState.Missing;

    /// <param name="current">The target's state, read inside the write transaction.</param>
    /// <param name="tag">The tag being moved or deleted; null when the target is a digest.</param>
    public GuardVerdict Check(ResourceState current, string? tag)
    {
        if (PreconditionEvaluator.Evaluate(Preconditions, current, isSafeMethod: false) != PreconditionOutcome.Proceed)
        {
            return GuardVerdict.PreconditionFailed;
        }
        return tag is not null && current.Exists ? CheckExistingTag(tag) : GuardVerdict.Allow;
    }

    /// <summary>The policies for a tag that exists and would move or disappear, e.g. with a manifest deleted by digest.</summary>
    public GuardVerdict CheckExistingTag(string tag)
    {
        if (IsImmutable?.Invoke(tag) == true) return GuardVerdict.ImmutableTag;
        if (RequiresPreconditions?.Invoke(tag) == true && !Preconditions.AppliesToWrites) return GuardVerdict.PreconditionRequired;
        return GuardVerdict.Allow;
    }
}
