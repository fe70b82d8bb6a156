using Berth.Oci.Api;
using Berth.Oci.Auth;

namespace Berth.Auth.Scopes;

/// <summary>
/// What a request needs, derived from its route and method alone (before anything is read from storage, so
/// a refusal can never depend on, and so never reveal, whether the repository or content exists).
/// </summary>
public sealed record RequiredAccess
{
    private RequiredAccess(AccessScope? scope, AccessScope? challengeScope)
    {
        Scope = scope;
        ChallengeScope = challengeScope;
    }

    /// <summary>The scope that must be granted; null when any authenticated caller may proceed (GET /v2/).</summary>
    public AccessScope? Scope { get; }

    /// <summary>
    /// The scope named in the 401 challenge. For writes it is "pull,push", as CNCF Distribution sends,
    /// because a pushing client also reads (HEAD of blobs it may skip) with the same token.
    /// </summary>
    public AccessScope? ChallengeScope { get; }

    /// <summary>Only authentication: the base endpoint, and paths that are no route at all.</summary>
    public static RequiredAccess Authenticated { get; } = new(null, null);

    /// <param name="tagHistory">What reading the tag history needs (auth.tagHistoryNeeds).</param>
    public static RequiredAccess For(RegistryPath? route, bool nameIsValid, string method, TagHistoryAccess tagHistory = TagHistoryAccess.Push)
    {
        // A path that is no route (404) or names an invalid repository (400) reveals nothing about
        // content, but still needs a caller the registry knows.
        if (route is null || !nameIsValid) return Authenticated;
        var read = method is "GET" or "HEAD";
        return (route.Kind, method) switch
        {
            (RouteKind.Base, _) => Authenticated,
            (RouteKind.Catalog, _) => new(AccessScope.Catalog, AccessScope.Catalog),
            (RouteKind.Manifest or RouteKind.Blob, "DELETE") => Repository(route.Name, RepositoryActions.Delete),
            (RouteKind.Manifest, "PUT") => Push(route.Name),
            // Upload sessions, including their status, belong to pushing (distribution-spec end-4 … end-14).
            (RouteKind.UploadStart or RouteKind.Upload, _) => Push(route.Name),
            (RouteKind.TagHistory, _) when read && tagHistory == TagHistoryAccess.Push => Push(route.Name),
            (RouteKind.Manifest or RouteKind.Blob or RouteKind.TagsList or RouteKind.Referrers or RouteKind.TagHistory, _) when read =>
                Repository(route.Name, RepositoryActions.Pull),
            // Any other method on a repository route is a 405; ask for push so nobody learns even that without it.
            _ => Push(route.Name),
        };
    }

    private static RequiredAccess Repository(string name, string action)
    {
        var scope = AccessScope.Repository(name, action);
        return new(scope, scope);
    }

    private static RequiredAccess Push(string name) =>
        new(AccessScope.Repository(name, RepositoryActions.Push), AccessScope.Repository(name, RepositoryActions.Pull, RepositoryActions.Push));
}
