using Berth.Oci.Names;

namespace Berth.Oci.Api;

public enum RouteKind
{
    Base,
    Catalog,
    Manifest,
    Blob,
    UploadStart,
    Upload,
    TagsList,
    Referrers,
    TagHistory,
}

/// <summary>
/// A request path under /v2/, split into the route and its parts. Repository names may have any number
/// of segments and may themselves contain "manifests", "blobs" or "tags", so routes are recognised from
/// the right-hand end, where the grammar is fixed (distribution-spec "Endpoints" table).
/// </summary>
public sealed record RegistryPath(RouteKind Kind, string Name = "", string Reference = "")
{
    /// <summary>Berth's extension prefix; "_" cannot start a name segment, so it cannot collide.</summary>
    public const string ExtensionSegment = "_berth";

    /// <param name="path">The path after "/v2/", percent-decoded except for "%2F".</param>
    /// <param name="route">The recognised route; its name has been checked against the grammar.</param>
    /// <returns>False when no route matches (404); true with an invalid name gives NAME_INVALID.</returns>
    public static bool TryParse(string path, out RegistryPath? route, out bool nameIsValid)
    {
        route = null;
        nameIsValid = true;
        if (path.Length == 0)
        {
            route = new RegistryPath(RouteKind.Base);
            return true;
        }
        if (path is "_catalog")
        {
            route = new RegistryPath(RouteKind.Catalog);
            return true;
        }

        var segments = path.Split('/');
        var n = segments.Length;
        var trailingSlash = n > 1 && segments[n - 1].Length == 0;
        if (trailingSlash) n--;

        if (n >= 3 && segments[n - 2] == "blobs" && segments[n - 1] == "uploads")
        {
            return Finish(RouteKind.UploadStart, segments, n - 2, "", out route, out nameIsValid);
        }
        if (trailingSlash) return false;
        if (n >= 4 && segments[n - 3] == "blobs" && segments[n - 2] == "uploads")
        {
            return Finish(RouteKind.Upload, segments, n - 3, segments[n - 1], out route, out nameIsValid);
        }
        if (n >= 4 && segments[n - 3] == ExtensionSegment && segments[n - 2] == "history")
        {
            return Finish(RouteKind.TagHistory, segments, n - 3, segments[n - 1], out route, out nameIsValid);
        }
        if (n >= 3)
        {
            var kind = segments[n - 2] switch
            {
                "manifests" => RouteKind.Manifest,
                "blobs" => RouteKind.Blob,
                "referrers" => RouteKind.Referrers,
                "tags" when segments[n - 1] == "list" => RouteKind.TagsList,
                _ => (RouteKind?)null,
            };
            if (kind is { } found)
            {
                return Finish(found, segments, n - 2, segments[n - 1], out route, out nameIsValid);
            }
        }
        return false;
    }

    /// <summary>
    /// Whether a request target, as the client sent it, has a "." or ".." path segment, literally or
    /// percent-encoded. HTTP servers resolve such segments before routing, so "/v2/a/../b/…" would
    /// otherwise reach repository "b" under a name the grammar forbids; it is refused instead.
    /// </summary>
    public static bool HasDotSegment(string requestTarget)
    {
        var end = requestTarget.IndexOfAny(['?', '#']);
        var path = end < 0 ? requestTarget : requestTarget[..end];
        foreach (var segment in path.Split('/'))
        {
            // "." and ".." are at most 6 characters when every dot is escaped ("%2e%2e").
            if (segment.Length is 0 or > 6) continue;
            if (Uri.UnescapeDataString(segment) is "." or "..") return true;
        }
        return false;
    }

    private static bool Finish(RouteKind kind, string[] segments, int nameSegments, string reference,
        out RegistryPath? route, out bool nameIsValid)
    {
        var name = string.Join('/', segments, 0, nameSegments);
        nameIsValid = RepositoryName.IsValid(name);
        route = new RegistryPath(kind, name, reference);
        return true;
    }
}
