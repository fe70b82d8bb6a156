using Berth.Oci.Digests;
using Berth.Oci.Errors;
using Berth.Oci.Names;

namespace Berth.Registry.Operations;

/// <summary>Checks of path parameters shared by every operation.</summary>
internal static class Validate
{
    public static RegistryError? Name(string name) =>
        RepositoryName.IsValid(name) ? null : RegistryError.NameInvalid($"invalid repository name '{Truncate(name)}'");

    public static RegistryError? Digest(string text, out Digest digest)
    {
        if (Oci.Digests.Digest.TryParse(text, out digest)) return null;
        return Oci.Digests.Digest.IsDigestShaped(text)
            ? RegistryError.DigestInvalid($"unsupported digest algorithm or malformed digest '{Truncate(text)}' (sha256 and sha512 are supported)")
            : RegistryError.DigestInvalid($"invalid digest '{Truncate(text)}'");
    }

    /// <summary>Error messages echo client input; keep them short.</summary>
    public static string Truncate(string? text) => text is null ? "" : text.Length <= 300 ? text : text[..300] + "…";
}
