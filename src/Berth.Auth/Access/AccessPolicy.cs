using Berth.Oci.Names;
using Berth.Oci.Auth;

namespace Berth.Auth.Access;

/// <summary>
/// Evaluates the access rules for one principal and repository. Deny by default: the actions allowed are
/// the union of what the matching rules grant, and nothing else.
/// </summary>
public sealed class AccessPolicy
{
    /// <summary>In a rule's users: every authenticated user.</summary>
    public const string AnyUser = "*";

    private readonly IReadOnlyList<(RepositoryPattern Pattern, AccessRule Rule, string[] Actions)> _rules;

    public AccessPolicy(IEnumerable<AccessRule> rules)
    {
        var compiled = new List<(RepositoryPattern, AccessRule, string[])>();
        foreach (var rule in rules)
        {
            if (string.IsNullOrWhiteSpace(rule.Repositories)) throw new InvalidDataException("an access rule needs a repositories pattern");
            var actions = new List<string>();
            foreach (var action in rule.Actions)
            {
                if (action == RepositoryActions.All) actions.AddRange(RepositoryActions.Each);
                else if (RepositoryActions.IsKnown(action)) actions.Add(action);
                else throw new InvalidDataException($"access rule for '{rule.Repositories}': unknown action '{action}' (pull, push, delete or *)");
            }
            compiled.Add((new RepositoryPattern(rule.Repositories), rule, actions.Distinct().ToArray()));
        }
        _rules = compiled;
    }

    public int Count => _rules.Count;

    /// <summary>True when some rule lets anonymous callers pull something: then they may also see the (filtered) catalog.</summary>
    public bool AnonymousCanPullAnything => _rules.Any(r => r.Rule.Anonymous && r.Actions.Contains(RepositoryActions.Pull));

    /// <summary>The actions <paramref name="principal"/> may take on <paramref name="repository"/>, in pull, push, delete order.</summary>
    public IReadOnlyList<string> Allowed(Principal principal, string repository)
    {
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (pattern, rule, actions) in _rules)
        {
            if (!AppliesTo(rule, principal) || !pattern.Matches(repository)) continue;
            allowed.UnionWith(actions);
        }
        return RepositoryActions.Each.Where(allowed.Contains).ToArray();
    }

    public bool Allows(Principal principal, string repository, IEnumerable<string> actions)
    {
        var allowed = Allowed(principal, repository);
        return actions.All(allowed.Contains);
    }

    private static bool AppliesTo(AccessRule rule, Principal principal)
    {
        if (rule.Anonymous) return true;
        if (principal.IsAnonymous) return false;
        return rule.Users.Any(u => u == AnyUser || u == principal.Name)
               || rule.Groups.Any(g => principal.Groups.Contains(g));
    }
}
