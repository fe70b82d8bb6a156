using System.Text.RegularExpressions;

namespace Berth.Oci.Names;

/// <summary>
/// Repository names (distribution-spec "Pulling manifests", the &lt;name&gt; grammar).
/// The grammar admits no "." or ".." segment and no empty segment, so a valid name can never leave
/// the storage root when used to build a key. The grammars end in <c>\z</c>, not <c>$</c>: in .NET, <c>$</c>
/// also matches before a final "\n", which would admit "team/app\n" as a look-alike of "team/app".
/// </summary>
public static partial class RepositoryName
{
    /// <summary>Clients commonly cap host + name at 255 characters; we cap the name itself there.</summary>
    public const int MaxLength = 255;

    [GeneratedRegex(@"^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();

    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name) && name.Length <= MaxLength && Grammar().IsMatch(name);
}
