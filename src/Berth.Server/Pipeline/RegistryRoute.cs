using Berth.Oci.Api;
using Microsoft.AspNetCore.Http;

namespace Berth.Server.Pipeline;

/// <summary>
/// The /v2/ route of a request, parsed once and kept as a request feature, so access control and the endpoint
/// judge the same route.
/// </summary>
internal sealed class RegistryRoute
{
    private RegistryRoute(RegistryPath? path, bool nameIsValid)
    {
        Path = path;
        NameIsValid = nameIsValid;
    }

    /// <summary>The recognised route; null when no route matches (404).</summary>
    public RegistryPath? Path { get; }

    /// <summary>False when the route matched but its repository name breaks the grammar (NAME_INVALID).</summary>
    public bool NameIsValid { get; }

    /// <summary>
    /// Serves the request as <paramref name="path"/> from now on (a mirrored pull under its cache name): access
    /// control and the endpoint both read this typed route, never a rewritten request path.
    /// </summary>
    public static void Replace(HttpContext context, RegistryPath path) => context.Features.Set(new RegistryRoute(path, nameIsValid: true));

    /// <summary>The route of <paramref name="context"/>'s request, parsed on first use.</summary>
    public static RegistryRoute Of(HttpContext context)
    {
        if (context.Features.Get<RegistryRoute>() is { } known) return known;
        // Mounted at /v2, so Path is what follows it: "", "/" or "/<name>/…".
        var path = context.Request.Path.Value ?? "";
        RegistryPath.TryParse(path.Length <= 1 ? "" : path[1..], out var route, out var nameIsValid);
        var parsed = new RegistryRoute(route, nameIsValid);
        context.Features.Set(parsed);
        return parsed;
    }
}
