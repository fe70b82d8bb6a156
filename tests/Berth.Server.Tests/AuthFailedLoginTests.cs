using System.Globalization;
using System.Net;
using Berth.Server.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Server.Tests;

/// <summary>
/// Password guessing over HTTP: the failed-login limiter in front of HTTP Basic on /v2/ and of the token
/// endpoint, and the cache that spares bcrypt for a client that sends the same right password again.
/// </summary>
public sealed class AuthFailedLoginTests
{
    [Fact]
    public async Task Defaults_AreOn_TenWrongPasswordsForAUser_ThenEveryAttemptIs429()
    {
        await using var registry = await AuthScenario.StartAsync();
        Assert.Equal(10, registry.Auth!.Options.FailedLoginsPerUser);
        Assert.Equal(30, registry.Auth.Options.FailedLoginsPerClient);
        using var guesser = registry.ClientAs(AuthScenario.Basic("alice", "guess"));
        for (var i = 0; i < 10; i++)
        {
            using var wrong = await guesser.GetAsync("/v2/team/app/tags/list");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        var checks = registry.Auth.Users.PasswordChecks;

        using var refused = await guesser.GetAsync("/v2/team/app/tags/list");
        await AssertTooManyAsync(refused);
        // Even the right password waits: the limiter decides before any password is looked at.
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        using var rightButLocked = await alice.GetAsync("/v2/");
        await AssertTooManyAsync(rightButLocked);
        Assert.Equal(checks, registry.Auth.Users.PasswordChecks);

        // Another user from the same address is not locked (the address has 10 of its 30).
        using var rita = registry.ClientAs(AuthScenario.Basic(AuthScenario.Rita));
        using var ritaOk = await rita.GetAsync("/v2/team/app/tags/list");
        Assert.NotEqual(HttpStatusCode.TooManyRequests, ritaOk.StatusCode);
        Assert.NotEqual(HttpStatusCode.Unauthorized, ritaOk.StatusCode);
    }

    [Fact]
    public async Task PerClient_ManyUserNamesFromOneAddress_Are429_AndTheWindowEnds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var registry = await AuthScenario.StartAsync(auth => auth with
        {
            FailedLoginsPerClient = 3, FailedLoginsPerUser = 0, FailedLoginWindow = TimeSpan.FromSeconds(2),
        }, time);
        foreach (var user in new[] { "ann", "bob", "cid" })
        {
            using var client = registry.ClientAs(AuthScenario.Basic(user, "guess"));
            using var wrong = await client.GetAsync("/v2/");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var next = registry.ClientAs(AuthScenario.Basic("dan", "guess"));
        using var refused = await next.GetAsync("/v2/");
        var retryAfter = await AssertTooManyAsync(refused);
        Assert.InRange(retryAfter, 1, 2);

        // The window ends on the server's clock: advance it past Retry-After instead of waiting.
        time.Advance(TimeSpan.FromSeconds(retryAfter) + TimeSpan.FromMilliseconds(200));
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        using var afterWindow = await alice.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, afterWindow.StatusCode);
    }

    [Fact]
    public async Task TokenEndpoint_GetAndPost_CountTogether_AndAnswer429WithTheSpecErrorBody()
    {
        await using var registry = await AuthScenario.StartAsync(auth => auth with { FailedLoginsPerUser = 2 });
        using var basicGuess = registry.ClientAs(AuthScenario.Basic("alice", "guess"));
        using var first = await basicGuess.GetAsync("/auth/token?scope=repository:team/app:pull");
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        using var anonymous = registry.ClientAs(null);
        using var second = await PostPasswordAsync(anonymous, "alice", "guess");
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);

        using var viaPost = await PostPasswordAsync(anonymous, "alice", AuthScenario.Alice.Password);
        await AssertTooManyAsync(viaPost);
        Assert.Equal("no-store", viaPost.Header("Cache-Control"));
        using var viaGet = await basicGuess.GetAsync("/auth/token?scope=repository:team/app:pull");
        await AssertTooManyAsync(viaGet);
        // ...and /v2/ shares the count: the same user is locked there too.
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        using var onV2 = await alice.GetAsync("/v2/");
        await AssertTooManyAsync(onV2);

        // Anonymous token requests involve no password and go on.
        using var anonymousToken = await anonymous.GetAsync("/auth/token?scope=repository:public/app:pull");
        Assert.Equal(HttpStatusCode.OK, anonymousToken.StatusCode);
    }

    [Fact]
    public async Task LimiterTurnedOff_NeverAnswers429()
    {
        await using var registry = await AuthScenario.StartAsync(auth => auth with { FailedLoginsPerUser = 0, FailedLoginsPerClient = 0 });
        using var guesser = registry.ClientAs(AuthScenario.Basic("alice", "guess"));
        for (var i = 0; i < 40; i++)
        {
            using var wrong = await guesser.GetAsync("/v2/");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
    }

    [Fact]
    public async Task RepeatedBasicRequests_CostOneBcryptCheck_WrongPasswordsCostOneEach()
    {
        await using var registry = await AuthScenario.StartAsync();
        var users = registry.Auth!.Users;
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        var before = users.PasswordChecks;
        using (var first = await alice.GetAsync("/v2/team/app/tags/list")) Assert.Equal(HttpStatusCode.NotFound, first.StatusCode);
        Assert.Equal(before + 1, users.PasswordChecks);
        for (var i = 0; i < 20; i++)
        {
            using var again = await alice.GetAsync("/v2/team/app/tags/list");
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        }
        Assert.Equal(before + 1, users.PasswordChecks);

        // A wrong password never rides on the cache.
        using var wrong = registry.ClientAs(AuthScenario.Basic("alice", AuthScenario.Alice.Password + "x"));
        for (var i = 0; i < 3; i++)
        {
            using var refused = await wrong.GetAsync("/v2/team/app/tags/list");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        Assert.Equal(before + 4, users.PasswordChecks);

        // The token endpoint shares the cache.
        using var token = await alice.GetAsync("/auth/token?scope=repository:team/app:pull");
        Assert.Equal(HttpStatusCode.OK, token.StatusCode);
        Assert.Equal(before + 4, users.PasswordChecks);
    }

    [Fact]
    public async Task CacheTurnedOff_EveryRequestCostsABcryptCheck()
    {
        await using var registry = await AuthScenario.StartAsync(auth => auth with { PasswordCacheLifetime = TimeSpan.Zero });
        var users = registry.Auth!.Users;
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        var before = users.PasswordChecks;
        for (var i = 0; i < 3; i++)
        {
            using var response = await alice.GetAsync("/v2/");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(before + 3, users.PasswordChecks);
    }

    /// <summary>Asserts 429 with TOOMANYREQUESTS in the spec's JSON error body and a Retry-After of whole seconds; returns it.</summary>
    private static async Task<int> AssertTooManyAsync(HttpResponseMessage response)
    {
        await response.AssertErrorAsync(HttpStatusCode.TooManyRequests, "TOOMANYREQUESTS");
        var retryAfter = int.Parse(response.Header("Retry-After"), CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 5 * 60);
        return retryAfter;
    }

    private static Task<HttpResponseMessage> PostPasswordAsync(HttpClient client, string user, string password) =>
        client.PostAsync("/auth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password", ["username"] = user, ["password"] = password, ["service"] = AuthScenario.Service,
            ["scope"] = "repository:team/app:pull",
        }));
}
