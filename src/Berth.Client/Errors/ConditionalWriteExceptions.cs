using Berth.Client.Conditional;

namespace Berth.Client.Errors;

/// <summary>
/// A read-modify-write lost the race every time it tried (conditional-requests §5.4 step 3: "retry up
/// to about 8 times, then raise a conflict error").
/// </summary>
public sealed class ConcurrentUpdateException(string repository, string tag, int attempts)
    : Exception($"{repository}:{tag} kept changing under us: {attempts} conditional writes got 412 Precondition Failed")
{
    public string Repository { get; } = repository;

    public string Tag { get; } = tag;

    public int Attempts { get; } = attempts;
}

/// <summary>
/// The write needed a guarantee the registry cannot give: it neither announces
/// <c>OCI-Distribution-RFC7232</c> nor passed the probe, so an <c>If-Match</c> would be ignored and a
/// concurrent writer could be silently overwritten. Nothing was written; the caller may retry with
/// <see cref="UnprotectedWritePolicy.Proceed"/> to accept the risk.
/// </summary>
public sealed class UnprotectedWriteException(string registry, string repository, string operation, ConditionalSupport support)
    : Exception($"{registry} gives no guarantee for conditional writes ({support.Describe()}); refusing to {operation} in {repository} without one")
{
    public string Registry { get; } = registry;

    public string Repository { get; } = repository;

    public ConditionalSupport Support { get; } = support;
}

/// <summary>A create-only tag already exists and holds other content (If-None-Match: * failed).</summary>
public sealed class TagExistsException(string repository, string tag, string? currentDigest)
    : Exception($"{repository}:{tag} already exists{(currentDigest is null ? "" : $" and points at {currentDigest}")}")
{
    public string Repository { get; } = repository;

    public string Tag { get; } = tag;

    public string? CurrentDigest { get; } = currentDigest;
}
