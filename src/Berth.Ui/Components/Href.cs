namespace Berth.Ui.Components;

/// <summary>
/// The UI's addresses. A repository name keeps its slashes; what follows it comes after a "/-/" segment, which no
/// repository name can contain (a name component starts with a letter or digit), so a name may end in anything.
/// </summary>
public static class Href
{
    public const string Home = "/ui/";
    public const string Login = "/ui/login";
    public const string Logout = "/ui/logout";
    public const string RepositoryPrefix = "/ui/r/";

    public static string Repositories(string? search = null, string? after = null)
    {
        var query = new List<string>();
        if (!string.IsNullOrEmpty(search)) query.Add("q=" + Uri.EscapeDataString(search));
        if (!string.IsNullOrEmpty(after)) query.Add("after=" + Uri.EscapeDataString(after));
        return query.Count == 0 ? Home : Home + "?" + string.Join('&', query);
    }

    public static string Repository(string name, string? search = null, int page = 1)
    {
        var query = new List<string>();
        if (!string.IsNullOrEmpty(search)) query.Add("q=" + Uri.EscapeDataString(search));
        if (page > 1) query.Add("page=" + page.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return RepositoryPrefix + Name(name) + (query.Count == 0 ? "" : "?" + string.Join('&', query));
    }

    public static string Manifest(string name, string reference) => $"{RepositoryPrefix}{Name(name)}/-/manifest/{Part(reference)}";

    public static string History(string name, string tag) => $"{RepositoryPrefix}{Name(name)}/-/history/{Part(tag)}";

    public static string Delete(string name, string reference) => $"{RepositoryPrefix}{Name(name)}/-/delete/{Part(reference)}";

    public static string LoginReturningTo(string? path) =>
        string.IsNullOrEmpty(path) || path == Home ? Login : Login + "?returnUrl=" + Uri.EscapeDataString(path);

    private static string Name(string name) => string.Join('/', name.Split('/').Select(Part));

    // Digests keep their colon readable; everything else a valid name or reference holds is URL-safe already.
    private static string Part(string segment) => Uri.EscapeDataString(segment).Replace("%3A", ":", StringComparison.Ordinal);
}
