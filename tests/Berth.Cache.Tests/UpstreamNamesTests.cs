using Berth.Cache.Configuration;

namespace Berth.Cache.Tests;

/// <summary>How local names under a prefix map to upstream names, and back for mirrored pulls.</summary>
public sealed class UpstreamNamesTests
{
    private static Upstream Hub(string? remotePrefix = null) =>
        new(new UpstreamOptions { Prefix = "dockerhub", Url = "https://registry-1.docker.io", RemotePrefix = remotePrefix });

    [Theory]
    [InlineData(null, "dockerhub/library/busybox", "library/busybox")]
    [InlineData("library", "dockerhub/busybox", "library/busybox")]
    [InlineData(null, "dockerhubx/busybox", null)]
    [InlineData(null, "dockerhub", null)]
    [InlineData(null, "other/busybox", null)]
    public void LocalNames_UnderThePrefix_MapToUpstreamNames(string? remotePrefix, string local, string? remote)
    {
        using var upstream = Hub(remotePrefix);
        Assert.Equal(remote, upstream.RemoteNameOf(local));
    }

    [Theory]
    [InlineData(null, "library/busybox", "dockerhub/library/busybox")]
    [InlineData("library", "library/busybox", "dockerhub/busybox")]
    [InlineData("library", "someone/app", null)]
    public void MirroredNames_AreCachedUnderTheLocalNameThatMapsBackToThem(string? remotePrefix, string upstreamName, string? local)
    {
        using var upstream = Hub(remotePrefix);
        Assert.Equal(local, upstream.LocalNameOf(upstreamName));
        if (local is not null) Assert.Equal(upstreamName, upstream.RemoteNameOf(local));
    }

    [Fact]
    public void OptionsNeverPrintThePassword()
    {
        var options = new UpstreamOptions { Prefix = "ghcr", Url = "https://ghcr.io", Username = "me", Password = "very-secret-token" };
        Assert.DoesNotContain("very-secret-token", options.ToString());
        Assert.Contains("me", options.ToString());
    }
}
