using Berth.Oci.Auth;

namespace Berth.Client.Auth;

/// <summary>
/// The Docker token spec's scopes a request needs, carried from the client to the authentication handler. A request
/// may need several (a cross-repository mount needs push on the target and pull on the source).
/// </summary>
internal static class RequestScopes
{
    public static readonly HttpRequestOptionsKey<string[]> Key = new("Berth.Client.AccessScopes");

    public static string Pull(string repository) => AccessScope.Repository(repository, RepositoryActions.Pull).ToString();

    public static string PullPush(string repository) => AccessScope.Repository(repository, RepositoryActions.Pull, RepositoryActions.Push).ToString();

    /// <summary>Deleting needs the "delete" action on registries that separate it (e.g. Distribution's token auth).</summary>
    public static string Delete(string repository) => AccessScope.Repository(repository, RepositoryActions.Delete).ToString();
}
