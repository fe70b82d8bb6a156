using Berth.Oci.Errors;

namespace Berth.Oci.Preconditions;

/// <summary>
/// The conditional headers of one request (RFC 9110 §13.1), parsed. If-Range is handled by the blob
/// range logic, not here.
/// </summary>
public sealed record RequestPreconditions
{
    public static readonly RequestPreconditions None = new();

    public EntityTagList? IfMatch { get; init; }
    public EntityTagList? IfNoneMatch { get; init; }
    public DateTimeOffset? IfModifiedSince { get; init; }
    public DateTimeOffset? IfUnmodifiedSince { get; init; }

    /// <summary>True when any precondition that applies to a state-changing method is present.</summary>
    public bool AppliesToWrites => IfMatch is not null || IfNoneMatch is not null || IfUnmodifiedSince is not null;

    /// <summary>
    /// For safe methods (GET/HEAD) a malformed header is ignored: a read cannot lose an update.
    /// </summary>
    public static RequestPreconditions ForRead(
        IReadOnlyList<string?> ifMatch, IReadOnlyList<string?> ifNoneMatch, string? ifModifiedSince, string? ifUnmodifiedSince)
    {
        return new RequestPreconditions
        {
            IfMatch = ifMatch.Count > 0 && EntityTagList.TryParse(ifMatch, out var match) ? match : null,
            IfNoneMatch = ifNoneMatch.Count > 0 && EntityTagList.TryParse(ifNoneMatch, out var noneMatch) ? noneMatch : null,
            IfModifiedSince = HttpDate.TryParse(ifModifiedSince, out var modified) ? modified : null,
            IfUnmodifiedSince = HttpDate.TryParse(ifUnmodifiedSince, out var unmodified) ? unmodified : null,
        };
    }

    /// <summary>
    /// For PUT and DELETE a malformed header fails the request (400) instead of being dropped: dropping
    /// it would perform an unconditional write the client did not ask for. If-Modified-Since does not
    /// apply to these methods (RFC 9110 §13.1.3) and is ignored.
    /// </summary>
    public static RequestPreconditions? ForWrite(
        IReadOnlyList<string?> ifMatch, IReadOnlyList<string?> ifNoneMatch, string? ifUnmodifiedSince, out RegistryError? error)
    {
        error = null;
        EntityTagList? match = null, noneMatch = null;
        if (ifMatch.Count > 0 && !EntityTagList.TryParse(ifMatch, out match))
        {
            error = RegistryError.BadHeader(
                "If-Match is malformed; send \"*\" or a comma-separated list of quoted entity tags such as \"sha256:…\". Nothing was written.");
            return null;
        }
        if (ifNoneMatch.Count > 0 && !EntityTagList.TryParse(ifNoneMatch, out noneMatch))
        {
            error = RegistryError.BadHeader(
                "If-None-Match is malformed; send \"*\" or a comma-separated list of quoted entity tags. Nothing was written.");
            return null;
        }
        DateTimeOffset? unmodifiedSince = null;
        if (ifUnmodifiedSince is not null)
        {
            if (!HttpDate.TryParse(ifUnmodifiedSince, out var date))
            {
                error = RegistryError.BadHeader("If-Unmodified-Since is not an HTTP-date (RFC 9110 §5.6.7). Nothing was written.");
                return null;
            }
            unmodifiedSince = date;
        }
        return new RequestPreconditions { IfMatch = match, IfNoneMatch = noneMatch, IfUnmodifiedSince = unmodifiedSince };
    }
}
