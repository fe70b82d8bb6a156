namespace Berth.Client.Auth;

/// <summary>A user name and password (or access token used as a password) for one registry.</summary>
public sealed record RegistryCredential(string Username, string Password)
{
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
