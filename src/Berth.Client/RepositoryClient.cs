using Berth.Client.Auth;
using Berth.Client.Errors;
using Berth.Oci.Names;

namespace Berth.Client;

/// <summary>
/// Operations on one repository of a registry. Cheap to create; all state (connections, tokens,
/// capabilities) lives in the <see cref="RegistryClient"/>. Split by area of the spec into
/// RepositoryClient.*.cs.
/// </summary>
public sealed partial class RepositoryClient
{
    internal RepositoryClient(RegistryClient registry, string name)
    {
        if (!RepositoryName.IsValid(name)) throw new ArgumentException($"'{name}' is not a valid repository name", nameof(name));
        Registry = registry;
        Name = name;
    }

    public RegistryClient Registry { get; }

    /// <summary>The repository name, e.g. "library/alpine".</summary>
    public string Name { get; }

    private string[] PullScope => [RequestScopes.Pull(Name)];

    private string[] PushScope => [RequestScopes.PullPush(Name)];

    private string[] DeleteScope => [RequestScopes.PullPush(Name), RequestScopes.Delete(Name)];

    private string Path(string rest) => $"v2/{Name}/{rest}";

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string[] scopes, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead) =>
        Registry.SendAsync(request, scopes, cancellationToken, completion);

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode) throw await RegistryRequestException.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A header's raw value (HttpClient's typed parsing can normalise or drop values).</summary>
    internal static string? RawHeader(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values)
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(", ", contentValues)
        : null;

    public override string ToString() => $"{Registry.Registry}/{Name}";
}
