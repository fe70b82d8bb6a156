using Berth.Oci.Digests;
using Berth.Oci.Preconditions;

namespace Berth.Client.Conditional;

/// <summary>The precondition sent with a manifest PUT or DELETE (RFC 9110 §13.1.1-2).</summary>
public sealed record WriteCondition
{
    private WriteCondition(string? ifMatch, string? ifNoneMatch)
    {
        IfMatch = ifMatch;
        IfNoneMatch = ifNoneMatch;
    }

    /// <summary>The If-Match field value, sent verbatim.</summary>
    public string? IfMatch { get; }

    /// <summary>The If-None-Match field value, sent verbatim.</summary>
    public string? IfNoneMatch { get; }

    public bool IsConditional => IfMatch is not null || IfNoneMatch is not null;

    public static readonly WriteCondition None = new(null, null);

    /// <summary><c>If-None-Match: *</c>: only if the tag does not exist yet.</summary>
    public static readonly WriteCondition CreateOnly = new(null, "*");

    /// <summary>
    /// <c>If-Match</c> with an ETag exactly as the registry sent it: ETags are opaque and proxies may
    /// rewrite them (RFC 9110 §8.8.3.3), so they are never rebuilt from a digest when one was read.
    /// </summary>
    public static WriteCondition IfMatchEntityTag(string entityTag) => new(entityTag, null);

    /// <summary><c>If-Match: "&lt;digest&gt;"</c>, Berth's and the signal's ETag contract (§5.1).</summary>
    public static WriteCondition IfMatchDigest(Digest digest) => new(EntityTag.ForDigest(digest).ToString(), null);

    internal void Apply(HttpRequestMessage request)
    {
        if (IfMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", IfMatch);
        if (IfNoneMatch is not null) request.Headers.TryAddWithoutValidation("If-None-Match", IfNoneMatch);
    }

    public override string ToString() =>
        IfMatch is not null ? $"If-Match: {IfMatch}" : IfNoneMatch is not null ? $"If-None-Match: {IfNoneMatch}" : "unconditional";
}
