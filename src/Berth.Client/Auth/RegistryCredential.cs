namespace Berth.Client.Auth;

/// <summary>
/// A user name and password (or access token used as a password) for one registry, or an identity
/// token: the OAuth2 refresh token a token service hands out at login (docker keeps it as
/// <c>identitytoken</c> in config.json, and credential helpers return it under the user name
/// <c>&lt;token&gt;</c>), which is traded for access tokens with <c>grant_type=refresh_token</c>.
/// </summary>
public sealed record RegistryCredential(string Username, string Password)
{
    /// <summary>
    /// The user name under which docker's credential helpers store an identity token
    /// (docker/cli cli/config/credentials/native_store.go, <c>tokenUsername</c>).
    /// </summary>
    public const string IdentityTokenUsername = "<token>";

    /// <summary>An identity (refresh) token rather than a password.</summary>
    public static RegistryCredential FromIdentityToken(string token) => new(IdentityTokenUsername, token);

    /// <summary>True when <see cref="Password"/> holds an identity (refresh) token, not a password.</summary>
    public bool IsIdentityToken => Username == IdentityTokenUsername;

    /// <summary>Keeps secrets out of logs and exception messages.</summary>
    public override string ToString() => $"{Username}:***";
}

/// <summary>Where a client finds credentials for a registry host.</summary>
public interface ICredentialProvider
{
    /// <param name="registry">host[:port] as the user wrote it, e.g. "localhost:5000" or "ghcr.io".</param>
    ValueTask<RegistryCredential?> GetCredentialAsync(string registry, CancellationToken cancellationToken);
}

/// <summary>Fixed credentials, e.g. from command-line flags or a test.</summary>
public sealed class StaticCredentialProvider(RegistryCredential? credential) : ICredentialProvider
{
    public ValueTask<RegistryCredential?> GetCredentialAsync(string registry, CancellationToken cancellationToken) =>
        ValueTask.FromResult(credential);
}
