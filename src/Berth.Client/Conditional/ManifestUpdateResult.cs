using Berth.Oci.Digests;

namespace Berth.Client.Conditional;

/// <summary>The outcome of a conditional read-modify-write of a tag.</summary>
public sealed record ManifestUpdateResult
{
    public required string Repository { get; init; }

    public required string Tag { get; init; }

    /// <summary>What the tag points at afterwards (our manifest, or the current one when nothing changed).</summary>
    public Digest? Digest { get; init; }

    /// <summary>What the tag pointed at before our write (null when it did not exist).</summary>
    public Digest? Previous { get; init; }

    /// <summary>False when the change was already there and nothing was written.</summary>
    public required bool Changed { get; init; }

    /// <summary>Conditional PUTs sent (1 when there was no race).</summary>
    public required int Attempts { get; init; }

    /// <summary>How the registry backs the write; only <see cref="ConditionalSupportExtensions.IsGuaranteed"/> values protect it.</summary>
    public required ConditionalSupport Protection { get; init; }

    public bool IsProtected => Protection.IsGuaranteed();

    /// <summary>
    /// For an unprotected write: whether reading the tag back afterwards still showed our change. True
    /// is not a guarantee (a racing writer may overwrite it a moment later); false means it was lost.
    /// Null for protected writes, where the 201 itself is the proof.
    /// </summary>
    public bool? ConfirmedByReadBack { get; init; }
}

/// <summary>The outcome of pointing a tag at a manifest.</summary>
public sealed record TagResult(string Repository, string Tag, Digest Digest, ConditionalSupport Protection, bool AlreadyApplied)
{
    public bool IsProtected => Protection.IsGuaranteed();
}
