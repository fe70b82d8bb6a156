namespace Berth.Server.Auth;

/// <summary>
/// A request feature set by access control: which repositories the caller may pull. The catalog endpoint
/// lists only those; without the feature (auth off) it lists everything.
/// </summary>
internal sealed class RepositoryVisibility(Func<string, bool> mayPull)
{
    public Func<string, bool> MayPull { get; } = mayPull;
}
