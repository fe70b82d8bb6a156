using System.Text.RegularExpressions;

namespace Berth.Oci.Names;

/// <summary>
/// Tags: <c>[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}</c> (distribution-spec "Pulling manifests"), anchored with <c>\z</c>
/// because <c>$</c> would also accept "v1\n".
/// </summary>
public static partial class TagName
{
    [GeneratedRegex(@"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();

    public static bool IsValid(string? tag) => tag is not null && tag.Length <= 128 && Grammar().IsMatch(tag);
}
