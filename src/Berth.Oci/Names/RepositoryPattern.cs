using System.Text.RegularExpressions;

namespace Berth.Oci.Names;

/// <summary>
/// A repository name glob, the syntax of access rules, tag policies and notification filters: "*" matches within one path
/// segment, "**" across segments ("team/**" is every repository under team/, "*" only the top level).
/// </summary>
public sealed class RepositoryPattern
{
    private readonly Regex _regex;

    public RepositoryPattern(string pattern)
    {
        Text = pattern;
        var body = Regex.Escape(pattern).Replace(@"\*\*", "\u0001").Replace(@"\*", "[^/]*").Replace("\u0001", ".*");
        // \z, not $: $ also matches before a final "\n", so the pattern "team/app" would also cover "team/app\n".
        _regex = new Regex($@"^{body}\z", RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
    }

    public string Text { get; }

    public bool Matches(string repository) => _regex.IsMatch(repository);

    public override string ToString() => Text;
}
