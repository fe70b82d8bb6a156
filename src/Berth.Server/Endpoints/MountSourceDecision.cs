using Berth.Oci.Names;
using Berth.Registry.Operations;
using Microsoft.Extensions.Primitives;

namespace Berth.Server.Endpoints;

/// <summary>
/// Turns the "from" parameter of a mount request (distribution-spec end-11) and the caller's permission into
/// the <see cref="MountSource"/> the registry may search, or null when the request must become an ordinary
/// upload session. Null is also the answer when the blob is missing, so a refused mount reveals nothing.
/// </summary>
public static class MountSourceDecision
{
    /// <param name="target">The repository the blob would be mounted into.</param>
    /// <param name="from">Every "from" value the query holds (keys compare case-insensitively).</param>
    /// <param name="mayMountFrom">The caller's permission; null only when the registry has no access control.</param>
    public static MountSource? Decide(string target, StringValues from, Func<string, bool>? mayMountFrom)
    {
        // More than one "from" (any spelling of the key) is ambiguous: mount from neither.
        if (from.Count > 1) return null;
        var source = from.Count == 1 ? from[0] : null;
        if (string.IsNullOrEmpty(source))
        {
            // Without "from" the registry would search every repository. Under access control the caller's
            // rights on other repositories are unknown here, so the blob may only come from the target itself.
            if (mayMountFrom is null) return MountSource.AnyRepository;
            return mayMountFrom(target) ? MountSource.FromRepository(target) : null;
        }
        if (!RepositoryName.IsValid(source)) return null;
        return mayMountFrom is null || mayMountFrom(source) ? MountSource.FromRepository(source) : null;
    }
}
