using Berth.Oci.Errors;

namespace Berth.Registry.Policies;

/// <summary>What a request would change, for the operator's switches that refuse writes as a whole.</summary>
public enum WriteKind
{
    /// <summary>Uploads, mounts and manifest pushes (which may move tags).</summary>
    Push,

    /// <summary>Deleting a tag, a manifest or a blob.</summary>
    Delete,
}

/// <summary>
/// The settings an operator may change while the registry runs (config reload): read-only mode, whether deletes are
/// allowed, and the repository policies. Each read sees one consistent snapshot; <see cref="Apply"/> swaps it whole, so
/// a request never judges half an old and half a new configuration.
/// </summary>
public sealed class WriteAdmission
{
    private sealed record Snapshot(bool ReadOnly, bool DeletesEnabled, IReadOnlyList<RepositoryPolicy> Policies);

    private volatile Snapshot _current;

    public WriteAdmission(RegistryOptions options) => _current = From(options);

    public bool ReadOnly => _current.ReadOnly;

    public bool DeletesEnabled => _current.DeletesEnabled;

    public IReadOnlyList<RepositoryPolicy> Policies => _current.Policies;

    /// <summary>Takes the reloadable settings of <paramref name="options"/>; the others need a restart and are ignored here.</summary>
    public void Apply(RegistryOptions options) => _current = From(options);

    /// <summary>
    /// The refusal of a write of this kind under the current switches, or null to go on. 405 UNSUPPORTED, as the
    /// conditional-requests design orders it: before any header or precondition is judged, so a stale If-Match on a
    /// read-only registry is never answered 412 (a retry could not succeed). CNCF Distribution answers the same.
    /// </summary>
    public RegistryError? Refusal(WriteKind kind)
    {
        var current = _current;
        if (current.ReadOnly) return RegistryError.Unsupported("the registry is in read-only mode: pulls work, pushes and deletes are refused", 405);
        if (kind == WriteKind.Delete && !current.DeletesEnabled) return RegistryError.Unsupported("deletes are disabled on this registry", 405);
        return null;
    }

    private static Snapshot From(RegistryOptions options) => new(options.ReadOnly, options.DeletesEnabled, options.Policies);
}
