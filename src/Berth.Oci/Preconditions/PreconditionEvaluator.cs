namespace Berth.Oci.Preconditions;

/// <summary>
/// RFC 9110 §13.2.2, in its order. A pure function so the same evaluation runs both as a fast check
/// before reading a body and again inside the storage transaction that commits the write.
/// </summary>
public static class PreconditionEvaluator
{
    public static PreconditionOutcome Evaluate(RequestPreconditions conditions, ResourceState state, bool isSafeMethod)
    {
        // Step 1: If-Match, strong comparison (§13.1.1).
        if (conditions.IfMatch is { } ifMatch)
        {
            var matches = ifMatch.IsAny
                ? state.Exists
                : state.Exists && state.EntityTag is { } current && ifMatch.ContainsStrong(current);
            if (!matches) return PreconditionOutcome.Failed;
        }
        // Step 2: If-Unmodified-Since, only without If-Match, only when a modification date exists (§13.1.4).
        else if (conditions.IfUnmodifiedSince is { } unmodifiedSince && state.Exists && state.LastModified is { } lastModified)
        {
            if (HttpDate.Truncate(lastModified) > HttpDate.Truncate(unmodifiedSince)) return PreconditionOutcome.Failed;
        }

        // Step 3: If-None-Match, weak comparison (§13.1.2): 304 for GET/HEAD, 412 for everything else.
        if (conditions.IfNoneMatch is { } ifNoneMatch)
        {
            var anyMatches = ifNoneMatch.IsAny
                ? state.Exists
                : state.Exists && state.EntityTag is { } current && ifNoneMatch.ContainsWeak(current);
            if (anyMatches) return isSafeMethod ? PreconditionOutcome.NotModified : PreconditionOutcome.Failed;
        }
        // Step 4: If-Modified-Since, GET/HEAD only and only without If-None-Match (§13.1.3).
        else if (isSafeMethod && conditions.IfModifiedSince is { } modifiedSince && state.Exists && state.LastModified is { } lastModified)
        {
            if (HttpDate.Truncate(lastModified) <= HttpDate.Truncate(modifiedSince)) return PreconditionOutcome.NotModified;
        }

        return PreconditionOutcome.Proceed;
    }

    /// <summary>
    /// §13.1.5: a Range request is honoured only if If-Range names the current representation with a
    /// strong tag (or, for a date, the exact Last-Modified). Otherwise the full body is sent.
    /// </summary>
    public static bool IfRangeAllowsPartial(string? ifRange, EntityTag current, DateTimeOffset? lastModified)
    {
        if (string.IsNullOrWhiteSpace(ifRange)) return true;
        var value = ifRange.Trim();
        if (value.StartsWith('"') || value.StartsWith("W/", StringComparison.Ordinal))
        {
            return EntityTagList.TryParse([value], out var list) && list is { IsAny: false, Tags.Count: 1 } && list.Tags[0].StrongEquals(current);
        }
        if (HttpDate.TryParse(value, out var date) && lastModified is { } modified)
        {
            return HttpDate.Truncate(date) == HttpDate.Truncate(modified);
        }
        return false;
    }
}
