using Berth.Oci.Errors;

namespace Berth.Oci.Api;

/// <summary>
/// Refuses control characters (C0, DEL, C1) in the parts of a request the registry uses: the repository
/// name, the reference and the query values. None of the spec's grammars admit them, and refusing them
/// before any grammar or store sees the text keeps look-alike names ("team/app\n") and terminal escapes
/// out of storage, responses and logs. Each part gets the error code the spec gives that part
/// (distribution-spec "Error Codes"); the spec's list has no TAG_INVALID, so a tag gets MANIFEST_INVALID.
/// </summary>
public static class ControlCharacters
{
    public static bool AreIn(string? text)
    {
        if (text is null) return false;
        foreach (var c in text)
        {
            if (char.IsControl(c)) return true;
        }
        return false;
    }

    /// <summary>The refusal for a control character in the route's name or reference; null when there is none.</summary>
    public static RegistryError? InRoute(RegistryPath route)
    {
        if (AreIn(route.Name)) return RegistryError.NameInvalid("control characters are not allowed in a repository name");
        if (!AreIn(route.Reference)) return null;
        return route.Kind switch
        {
            RouteKind.Manifest when route.Reference.Contains(':') => RegistryError.DigestInvalid("control characters are not allowed in a digest"),
            RouteKind.Manifest or RouteKind.TagHistory => RegistryError.ManifestInvalid("control characters are not allowed in a tag"),
            RouteKind.Upload => RegistryError.BlobUploadInvalid("control characters are not allowed in an upload id"),
            _ => RegistryError.DigestInvalid("control characters are not allowed in a digest"),
        };
    }

    /// <summary>The refusal for a control character in a query parameter's name or value; null when there is none.</summary>
    /// <remarks>Parameter names are compared ignoring case, as the server's query collection does.</remarks>
    public static RegistryError? InQuery(IEnumerable<KeyValuePair<string, string?>> parameters)
    {
        foreach (var (key, value) in parameters)
        {
            if (AreIn(key)) return RegistryError.Unsupported("control characters are not allowed in query parameter names");
            if (!AreIn(value)) continue;
            return key.ToLowerInvariant() switch
            {
                "from" => RegistryError.NameInvalid("control characters are not allowed in a repository name"),
                "mount" or "digest" => RegistryError.DigestInvalid("control characters are not allowed in a digest"),
                "tag" => RegistryError.ManifestInvalid("control characters are not allowed in a tag"),
                _ => RegistryError.Unsupported($"control characters are not allowed in query parameter '{key}'"),
            };
        }
        return null;
    }
}
