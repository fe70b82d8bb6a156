using System.Runtime.CompilerServices;

namespace Berth.Server.Tests.Support;

/// <summary>Repository names per test, so tests sharing one server never see each other's content.</summary>
public static class RepositoryNames
{
    /// <summary>A repository name unique to the calling test, e.g. "spec/chunkoutoforder_returns416andkeepssession".</summary>
    public static string Repo([CallerMemberName] string test = "") => "spec/" + test.ToLowerInvariant();
}
