using Berth.Oci.Auth;
using System.Net;
using Berth.Auth.Scopes;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.AuthScenario;

namespace Berth.Server.Tests;

/// <summary>
/// The tag history names who moved each tag, so by default reading it needs push on the repository
/// (auth.tagHistoryNeeds: "push"); "pull" opens it to every reader. Basic and token callers alike.
/// </summary>
public sealed class TagHistoryAccessTests
{
    private const string History = "/v2/team/app/_berth/history/v1";

    [Fact]
    public async Task ByDefault_OnlyPushersReadTheHistory()
    {
        await using var registry = await StartAsync();
        using var alice = registry.ClientAs(Basic(Alice));
        await alice.PushImageAsync("team/app", "v1", seed: 1);

        using (var pusher = await alice.GetAsync(History))
        {
            Assert.Equal(HttpStatusCode.OK, pusher.StatusCode);
            Assert.Contains("\"actor\":\"alice\"", await pusher.Content.ReadAsStringAsync());
        }
        // rita may pull team/** but not push: she can read the tag, not who moved it.
        using var rita = registry.ClientAs(Basic(Rita));
        using (var tag = await rita.GetAsync("/v2/team/app/manifests/v1"))
        {
            Assert.Equal(HttpStatusCode.OK, tag.StatusCode);
        }
        using (var reader = await rita.GetAsync(History))
        {
            await reader.AssertErrorAsync(HttpStatusCode.Forbidden, "DENIED");
        }
        using (var anonymous = await registry.ClientAs(null).GetAsync(History))
        {
            await anonymous.AssertErrorAsync(HttpStatusCode.Unauthorized, "UNAUTHORIZED");
            Assert.Contains("scope=\"repository:team/app:pull,push\"", anonymous.Header("WWW-Authenticate"));
        }
    }

    [Fact]
    public async Task ByDefault_ATokenNeedsPushScope_EvenForAUserWhoMayPush()
    {
        await using var registry = await StartAsync();
        using (var alice = registry.ClientAs(Basic(Alice)))
        {
            await alice.PushImageAsync("team/app", "v1", seed: 2);
        }

        var pullOnly = registry.Token(Alice.User, null, AccessScope.Repository("team/app", RepositoryActions.Pull));
        using (var narrow = await registry.ClientAs(Bearer(pullOnly)).GetAsync(History))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, narrow.StatusCode);
            Assert.Contains("error=\"insufficient_scope\"", narrow.Header("WWW-Authenticate"));
        }
        var pullPush = registry.Token(Alice.User, null, AccessScope.Repository("team/app", RepositoryActions.Pull, RepositoryActions.Push));
        using (var wide = await registry.ClientAs(Bearer(pullPush)).GetAsync(History))
        {
            Assert.Equal(HttpStatusCode.OK, wide.StatusCode);
        }
        var ritaPull = registry.Token(Rita.User, null, AccessScope.Repository("team/app", RepositoryActions.Pull));
        using (var reader = await registry.ClientAs(Bearer(ritaPull)).GetAsync(History))
        {
            await reader.AssertErrorAsync(HttpStatusCode.Forbidden, "DENIED");
        }
    }

    [Fact]
    public async Task TheTokenService_GrantsHistoryOnlyWithPush()
    {
        await using var registry = await StartAsync();
        using (var alice = registry.ClientAs(Basic(Alice)))
        {
            await alice.PushImageAsync("team/app", "v1", seed: 3);
        }
        // A client following the challenge asks for pull,push; rita is granted only pull, which is not enough.
        using var rita = registry.ClientAs(Basic(Rita));
        using var tokenResponse = await rita.GetAsync($"/auth/token?service={Service}&scope=repository:team/app:pull,push");
        Assert.Equal(HttpStatusCode.OK, tokenResponse.StatusCode);
        var token = (await tokenResponse.ReadJsonAsync()).GetProperty("token").GetString()!;
        using var history = await registry.ClientAs(Bearer(token)).GetAsync(History);
        await history.AssertErrorAsync(HttpStatusCode.Forbidden, "DENIED");
    }

    [Fact]
    public async Task WithTagHistoryNeedsPull_ReadersSeeTheHistory()
    {
        await using var registry = await StartAsync(options => options with { TagHistoryNeeds = TagHistoryAccess.Pull });
        using (var alice = registry.ClientAs(Basic(Alice)))
        {
            await alice.PushImageAsync("team/app", "v1", seed: 4);
        }
        using (var basic = await registry.ClientAs(Basic(Rita)).GetAsync(History))
        {
            Assert.Equal(HttpStatusCode.OK, basic.StatusCode);
            Assert.Contains("\"actor\":\"alice\"", await basic.Content.ReadAsStringAsync());
        }
        var ritaPull = registry.Token(Rita.User, null, AccessScope.Repository("team/app", RepositoryActions.Pull));
        using (var token = await registry.ClientAs(Bearer(ritaPull)).GetAsync(History))
        {
            Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        }
        // Still no history for callers without pull.
        using (var oscar = await registry.ClientAs(Basic(Oscar)).GetAsync(History))
        {
            await oscar.AssertErrorAsync(HttpStatusCode.Forbidden, "DENIED");
        }
    }

    [Fact]
    public void TheSetting_ReadsFromJsonAsPullOrPush()
    {
        var options = System.Text.Json.JsonSerializer.Deserialize<Berth.Auth.AuthOptions>("{\"tagHistoryNeeds\":\"pull\"}",
            new System.Text.Json.JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
        Assert.Equal(TagHistoryAccess.Pull, options.TagHistoryNeeds);
        Assert.Equal(TagHistoryAccess.Push, new Berth.Auth.AuthOptions().TagHistoryNeeds);
    }
}
