using System.Net;
using Berth.Server.Limits;
using Berth.Server.Tests.Support;

namespace Berth.Server.Tests;

/// <summary>Optional request limits: 429 TOOMANYREQUESTS with Retry-After, per client and for everybody.</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task PerClientLimit_Answers429WithRetryAfter()
    {
        await using var registry = await InProcessBerth.StartAsync(server: options => options with
        {
            RateLimits = new RateLimitOptions { PerClient = new RateLimit { RequestsPerSecond = 1, Burst = 2 } },
        });
        using var first = await registry.Client.GetAsync("/v2/");
        using var second = await registry.Client.GetAsync("/v2/");
        using var third = await registry.Client.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal((HttpStatusCode)429, third.StatusCode);
        Assert.Equal("TOOMANYREQUESTS", await third.ErrorCodeIfAnyAsync());
        Assert.InRange(int.Parse(third.Header("Retry-After")), 1, 2);
        Assert.Equal("registry/2.0", third.Header("Docker-Distribution-API-Version"));
    }

    [Fact]
    public async Task TokenEndpoint_IsLimitedToo()
    {
        await using var registry = await InProcessBerth.StartAsync(server: options => options with
        {
            Auth = AuthScenario.Options,
            RateLimits = new RateLimitOptions { Global = new RateLimit { RequestsPerSecond = 1 } },
        });
        using var client = registry.ClientAs(AuthScenario.Basic("alice", "guess"));
        using var first = await client.GetAsync("/auth/token");
        using var second = await client.GetAsync("/auth/token");
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Equal((HttpStatusCode)429, second.StatusCode);
    }

    [Fact]
    public void Accounting_KeepsClientsApart_AndSharesTheGlobalBucket()
    {
        using var limiter = new RequestRateLimiter(new RateLimitOptions
        {
            PerClient = new RateLimit { RequestsPerSecond = 1 },
            Global = new RateLimit { RequestsPerSecond = 1, Burst = 3 },
        });
        Assert.True(limiter.TryAcquire("client-a", out _));
        Assert.False(limiter.TryAcquire("client-a", out var retry));
        Assert.True(retry > TimeSpan.Zero);
        Assert.True(limiter.TryAcquire("client-b", out _));
        Assert.True(limiter.TryAcquire("client-c", out _));
        // The global bucket of three is empty now, whoever asks.
        Assert.False(limiter.TryAcquire("client-d", out _));
    }

    [Fact]
    public void NonPositiveLimits_AreConfigurationErrors()
    {
        Assert.Throws<ArgumentException>(() => new RequestRateLimiter(new RateLimitOptions { PerClient = new RateLimit { RequestsPerSecond = 0 } }));
        Assert.Throws<ArgumentException>(() => new RequestRateLimiter(new RateLimitOptions { Global = new RateLimit { RequestsPerSecond = 5, Burst = 0 } }));
    }
}
