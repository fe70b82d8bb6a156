using Berth.Auth.Scopes;
using Berth.Oci.Auth;

namespace Berth.Auth.Access;

/// <summary>
/// Decides requests and token grants from the access rules. Basic and anonymous callers are judged by the
/// rules directly; token callers by the token's "access" claim, which the token service derived from the
/// same rules (or an external issuer decided).
/// </summary>
public sealed class Authorizer
{
    private readonly AccessPolicy _policy;

    public Authorizer(AccessPolicy policy) => _policy = policy;

    public AccessPolicy Policy => _policy;

    public AccessDecision Decide(Caller caller, RequiredAccess required)
    {
        if (required.Scope is not { } scope)
        {
            // GET /v2/ answers "is this caller authenticated?" (distribution-spec end-1): any valid token or
            // user, but not a caller without credentials, so that clients are shown the challenge and log in.
            return caller.Kind == CallerKind.Anonymous ? AccessDecision.Unauthenticated : AccessDecision.Allowed;
        }
        if (caller.Token is { } token)
        {
            if (token.Grants(scope)) return AccessDecision.Allowed;
            if (caller.Principal.IsAnonymous) return AccessDecision.Unauthenticated;
            return caller.HasBuiltInToken && PolicyAllows(caller.Principal, scope) ? AccessDecision.InsufficientScope : AccessDecision.Denied;
        }
        if (PolicyAllows(caller.Principal, scope)) return AccessDecision.Allowed;
        return caller.Kind == CallerKind.Anonymous ? AccessDecision.Unauthenticated : AccessDecision.Denied;
    }

    /// <summary>
    /// Whether the caller may read a repository: to filter the catalog, and to decide whether a cross-repository
    /// mount may take a blob from it (distribution-spec end-11 needs pull on the source).
    /// </summary>
    public bool MayPull(Caller caller, string repository)
    {
        var pull = AccessScope.Repository(repository, RepositoryActions.Pull);
        if (caller.Token is { } token)
        {
            return token.Grants(pull) || (caller.HasBuiltInToken && PolicyAllows(caller.Principal, pull));
        }
        return PolicyAllows(caller.Principal, pull);
    }

    /// <summary>
    /// Whether a cross-repository mount may take a blob from <paramref name="repository"/> (distribution-spec
    /// end-11 needs pull on the source). Unlike <see cref="MayPull"/>, a token is held to its own scope: docker
    /// clients ask for pull on the source when they mount, and a narrower token must stay narrower than the
    /// user's rules, or a push-only token would read any blob its user can read by mounting it.
    /// </summary>
    public bool MayMountFrom(Caller caller, string repository)
    {
        var pull = AccessScope.Repository(repository, RepositoryActions.Pull);
        return caller.Token is { } token ? token.Grants(pull) : PolicyAllows(caller.Principal, pull);
    }

    /// <summary>
    /// The token service's grant (Docker token spec: the intersection of what was asked and what is allowed).
    /// Whatever is not allowed is left out, not refused: a token with less (even no) access is still issued,
    /// and the registry then refuses the request itself.
    /// </summary>
    public IReadOnlyList<AccessScope> Grant(Principal principal, IReadOnlyList<AccessScope> requested)
    {
        var granted = new List<AccessScope>();
        foreach (var group in requested.GroupBy(s => (s.Type, s.Name)))
        {
            var asked = group.SelectMany(s => s.Actions).Distinct(StringComparer.Ordinal).ToList();
            var (type, name) = group.Key;
            if (type == AccessScope.RegistryType && name == AccessScope.CatalogName)
            {
                if (asked.Contains(RepositoryActions.All) && CatalogAllowed(principal)) granted.Add(AccessScope.Catalog);
                continue;
            }
            if (type != AccessScope.RepositoryType || !Oci.Names.RepositoryName.IsValid(name)) continue;
            var allowed = _policy.Allowed(principal, name);
            var actions = asked.Contains(RepositoryActions.All) ? allowed : allowed.Where(asked.Contains).ToList();
            if (actions.Count > 0) granted.Add(new AccessScope(type, name, actions));
        }
        return granted;
    }

    private bool PolicyAllows(Principal principal, AccessScope scope)
    {
        if (scope.IsCatalog) return CatalogAllowed(principal);
        return scope.IsRepository && _policy.Allows(principal, scope.Name, scope.Actions);
    }

    /// <summary>
    /// Listing is harmless once filtered to what the caller may pull, so every user may list; anonymous
    /// callers only when some repository is public, otherwise the answer would always be empty anyway.
    /// </summary>
    private bool CatalogAllowed(Principal principal) => !principal.IsAnonymous || _policy.AnonymousCanPullAnything;
}
