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

    /// <summary>Policy: overwriting or deleting an existing tag needs If-Match or If-None-Match (RFC 6585 428).</summary>
    public bool RequirePreconditions { get; init; }

    /// <summary>Policy: an existing tag never moves and is never deleted.</summary>
    public bool ImmutableTags { get; init; }

    public GuardVerdict Check(ResourceState current, bool targetIsTag)
    {
        if (PreconditionEvaluator.Evaluate(Preconditions, current, isSafeMethod: false) != PreconditionOutcome.Proceed)
        {
            return GuardVerdict.PreconditionFailed;
        }
        if (targetIsTag && current.Exists)
        {
            if (ImmutableTags) return GuardVerdict.ImmutableTag;
            if (RequirePreconditions && Preconditions.IfMatch is null && Preconditions.IfUnmodifiedSince is null
                && Preconditions.IfNoneMatch is null)
            {
                return GuardVerdict.PreconditionRequired;
            }
        }
        return GuardVerdict.Allow;
    }
}
