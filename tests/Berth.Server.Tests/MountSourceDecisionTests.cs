using Berth.Registry.Operations;
using Berth.Server.Endpoints;
using Microsoft.Extensions.Primitives;

namespace Berth.Server.Tests;

/// <summary>The mount decision as a plain function: what access control allows becomes the only place searched.</summary>
public sealed class MountSourceDecisionTests
{
    private static readonly Func<string, bool> MayPullTeamOnly = repository => repository.StartsWith("team/", StringComparison.Ordinal);

    [Fact]
    public void WithoutAccessControl_NoFromSearchesEveryRepository()
    {
        Assert.Same(MountSource.AnyRepository, MountSourceDecision.Decide("team/app", StringValues.Empty, null));
        Assert.Same(MountSource.AnyRepository, MountSourceDecision.Decide("team/app", "", null));
        Assert.Equal("other/x", MountSourceDecision.Decide("team/app", "other/x", null)!.Repository);
    }

    [Fact]
    public void UnderAccessControl_NoFromMeansTheTargetOnly_NeverASearch()
    {
        Assert.Equal("team/app", MountSourceDecision.Decide("team/app", StringValues.Empty, MayPullTeamOnly)!.Repository);
        Assert.Equal("team/app", MountSourceDecision.Decide("team/app", "", MayPullTeamOnly)!.Repository);
        Assert.Null(MountSourceDecision.Decide("other/app", StringValues.Empty, MayPullTeamOnly));
    }

    [Fact]
    public void UnderAccessControl_FromNeedsPull()
    {
        Assert.Equal("team/base", MountSourceDecision.Decide("team/app", "team/base", MayPullTeamOnly)!.Repository);
        Assert.Null(MountSourceDecision.Decide("team/app", "other/secret", MayPullTeamOnly));
    }

    [Theory]
    [InlineData("team/base", "other/secret")]
    [InlineData("other/secret", "team/base")]
    [InlineData("team/base", "team/base")]
    public void RepeatedFrom_IsAmbiguous_AndMountsNothing(string first, string second)
    {
        Assert.Null(MountSourceDecision.Decide("team/app", new StringValues([first, second]), MayPullTeamOnly));
        Assert.Null(MountSourceDecision.Decide("team/app", new StringValues([first, second]), null));
    }

    [Theory]
    [InlineData("Team/Base")]
    [InlineData("team/base,other/secret")]
    [InlineData("../other/secret")]
    public void AnInvalidFrom_MountsNothing(string from)
    {
        Assert.Null(MountSourceDecision.Decide("team/app", from, _ => true));
        Assert.Null(MountSourceDecision.Decide("team/app", from, null));
    }
}
