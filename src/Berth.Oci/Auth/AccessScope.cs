using System.Diagnostics.CodeAnalysis;
using Berth.Oci.Names;

namespace Berth.Oci.Auth;

/// <summary>
/// One resource scope of the Docker registry token authentication spec ("Token Scope Documentation"):
/// <c>resourcetype ":" resourcename ":" action ("," action)*</c>, e.g. <c>repository:team/app:pull,push</c>
/// or <c>registry:catalog:*</c>. The same shape is the JWT "access" claim entry {type, name, actions}.
/// </summary>
public sealed record AccessScope
{
    public const string RepositoryType = "repository";
    public const string RegistryType = "registry";
    public const string CatalogName = "catalog";

    public AccessScope(string type, string name, IEnumerable<string> actions)
    {
        Type = type;
        Name = name;
        Actions = actions.Distinct(StringComparer.Ordinal).ToArray();
    }

    public string Type { get; }

    public string Name { get; }

    public IReadOnlyList<string> Actions { get; }

    public static AccessScope Repository(string name, params string[] actions) => new(RepositoryType, name, actions);

    /// <summary>Listing the repositories: the spec's <c>registry:catalog:*</c>.</summary>
    public static AccessScope Catalog { get; } = new(RegistryType, CatalogName, [RepositoryActions.All]);

    public bool IsCatalog => Type == RegistryType && Name == CatalogName;

    public bool IsRepository => Type == RepositoryType;

    /// <summary>
    /// The resource name may itself hold a colon (a "host:port/" prefix), so the type ends at the first
    /// colon and the actions start after the last. A type may carry a class, "repository(plugin)"; the
    /// class is dropped because Berth has one kind of repository.
    /// </summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out AccessScope? scope)
    {
        scope = null;
        var first = text.IndexOf(':');
        var last = text.LastIndexOf(':');
        if (first <= 0 || last == first || last == text.Length - 1) return false;
        var type = text[..first];
        var paren = type.IndexOf('(');
        if (paren >= 0)
        {
            if (!type.EndsWith(')') || paren == 0) return false;
            type = type[..paren];
        }
        if (!IsToken(type)) return false;
        var name = text[(first + 1)..last];
        if (name.Length == 0) return false;
        var actions = text[(last + 1)..].Split(',');
        if (actions.Any(a => a.Length == 0 || !(a == RepositoryActions.All || IsToken(a)))) return false;
        scope = new AccessScope(type, name, actions);
        return true;
    }

    /// <summary>
    /// The scopes of a token request: the GET form repeats the "scope" parameter, the OAuth2 POST form
    /// (RFC 6749 §3.3) separates them with spaces. Malformed entries are dropped rather than failing the
    /// request, so a client asking for one odd scope still gets the others.
    /// </summary>
    public static IReadOnlyList<AccessScope> ParseList(IEnumerable<string?> values)
    {
        var scopes = new List<AccessScope>();
        foreach (var value in values)
        {
            if (value is null) continue;
            foreach (var part in value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (TryParse(part, out var scope)) scopes.Add(scope);
            }
        }
        return scopes;
    }

    /// <summary>True when every action asked for is among <see cref="Actions"/> ("*" grants any).</summary>
    public bool Grants(string type, string name, IEnumerable<string> actions) =>
        Type == type && Name == name && actions.All(a => Actions.Contains(a) || Actions.Contains(RepositoryActions.All));

    /// <summary>The repository names an access claim refers to must satisfy the distribution-spec grammar.</summary>
    public bool HasValidRepositoryName => !IsRepository || RepositoryName.IsValid(Name);

    public override string ToString() => $"{Type}:{Name}:{string.Join(',', Actions)}";

    private static bool IsToken(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');
}
