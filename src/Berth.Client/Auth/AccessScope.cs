namespace Berth.Client.Auth;

/// <summary>
/// The Docker token spec's resource scope, <c>repository:&lt;name&gt;:&lt;actions&gt;</c>. A request may need
/// several (a cross-repository mount needs push on the target and pull on the source).
/// </summary>
public static class AccessScope
{
    /// <summary>Carries the scopes a request needs from the client to the authentication handler.</summary>
    public static readonly HttpRequestOptionsKey<string[]> RequestKey = new("Berth.Client.AccessScopes");

    public static string Pull(string repository) => $"repository:{repository}:pull";

    public static string PullPush(string repository) => $"repository:{repository}:pull,push";

    /// <summary>Deleting needs the "delete" action on registries that separate it (e.g. Distribution's token auth).</summary>
    public static string Delete(string repository) => $"repository:{repository}:delete";
}
