using Berth.Auth;
using Berth.Auth.Access;
using Berth.Auth.Scopes;
using Berth.Oci.Api;
using Berth.Oci.Names;

namespace Berth.Ui.Access;

/// <summary>
/// Who is looking at a page and what the access rules let them see and do. Every answer comes from the API's own
/// <see cref="Authorizer"/> and <see cref="RequiredAccess"/> (the same scope a /v2/ request of that kind needs), so
/// the UI has no rule of its own: a user sees a repository exactly when they could pull it, deletes exactly when a
/// DELETE of the manifest would be allowed, and reads tag history under auth.tagHistoryNeeds.
/// </summary>
public sealed class Viewer
{
    private readonly BerthAuth? _auth;

    private Viewer(BerthAuth? auth, Caller caller)
    {
        _auth = auth;
        Caller = caller;
    }

    /// <summary>Everyone may do everything: authentication is off, as on the API.</summary>
    public static Viewer Unrestricted { get; } = new(null, Caller.Anonymous);

    public static Viewer For(BerthAuth auth, Caller caller) => new(auth, caller);

    public Caller Caller { get; }

    /// <summary>Whether the registry has users at all (so there is a sign-in form to show).</summary>
    public bool AuthenticationEnabled => _auth is not null;

    public bool IsSignedIn => Caller.Kind != CallerKind.Anonymous;

    public string? UserName => IsSignedIn ? Caller.Name : null;

    /// <summary>Pull rights: to see the repository at all, even its name (as the catalog filters it).</summary>
    public bool MayPull(string repository) =>
        RepositoryName.IsValid(repository) && (_auth is null || _auth.Authorizer.MayPull(Caller, repository));

    public bool MayDelete(string repository, string reference) =>
        Allowed(new RegistryPath(RouteKind.Manifest, repository, reference), "DELETE", TagHistoryAccess.Push);

    /// <summary>The tag history names pushers, so it may need more than pull (auth.tagHistoryNeeds).</summary>
    public bool MayReadHistory(string repository, string tag) =>
        Allowed(new RegistryPath(RouteKind.TagHistory, repository, tag), "GET", _auth?.Options.TagHistoryNeeds ?? TagHistoryAccess.Pull);

    private bool Allowed(RegistryPath route, string method, TagHistoryAccess history)
    {
        if (!RepositoryName.IsValid(route.Name)) return false;
        if (_auth is null) return true;
        return _auth.Decide(Caller, RequiredAccess.For(route, nameIsValid: true, method, history)) == AccessDecision.Allowed;
    }
}
