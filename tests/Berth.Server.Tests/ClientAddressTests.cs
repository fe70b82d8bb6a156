using System.Net;
using Berth.Server.Limits;
using Berth.Server.Pipeline;
using Berth.Server.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Berth.Server.Tests;

/// <summary>
/// Client addresses for rate limits and logs: X-Forwarded-For only from configured trusted proxies, read from
/// the nearest hop outwards; IPv6 clients counted by their /64.
/// </summary>
public sealed class ClientAddressTests
{
    private static readonly IPAddress Loopback = IPAddress.Loopback;

    [Fact]
    public void WithoutTrustedProxies_TheHeaderIsIgnored()
    {
        var resolver = new ClientAddressResolver([]);
        Assert.False(resolver.HasTrustedProxies);
        Assert.Equal(Loopback, resolver.Resolve(Loopback, ["203.0.113.5"]));
    }

    [Fact]
    public void FromAnUntrustedPeer_TheHeaderIsIgnored()
    {
        var resolver = new ClientAddressResolver(["10.0.0.0/8"]);
        Assert.Equal(IPAddress.Parse("192.0.2.9"), resolver.Resolve(IPAddress.Parse("192.0.2.9"), ["203.0.113.5"]));
    }

    [Theory]
    [InlineData("203.0.113.5", "203.0.113.5")]
    [InlineData("198.51.100.1, 203.0.113.5", "203.0.113.5")]
    [InlineData("198.51.100.1, 203.0.113.5, 10.1.2.3", "203.0.113.5")]
    [InlineData("10.9.9.9, 10.1.2.3", "10.9.9.9")]
    [InlineData("203.0.113.5:4711", "203.0.113.5")]
    [InlineData("[2001:db8::1]:443", "2001:db8::1")]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("unknown", "127.0.0.1")]
    [InlineData("198.51.100.1, garbage, 10.1.2.3", "10.1.2.3")]
    [InlineData("", "127.0.0.1")]
    public void FromATrustedProxy_TheNearestUntrustedHopIsTheClient(string forwardedFor, string expected)
    {
        var resolver = new ClientAddressResolver(["127.0.0.1", "10.0.0.0/8"]);
        Assert.Equal(IPAddress.Parse(expected), resolver.Resolve(Loopback, [forwardedFor]));
    }

    [Fact]
    public void SeveralHeaderLines_AreOneList()
    {
        var resolver = new ClientAddressResolver(["127.0.0.1", "10.0.0.0/8"]);
        Assert.Equal(IPAddress.Parse("203.0.113.5"), resolver.Resolve(Loopback, ["198.51.100.1", "203.0.113.5, 10.0.0.2"]));
    }

    [Fact]
    public void AnIPv4PeerOnADualStackSocket_MatchesAnIPv4Proxy()
    {
        var resolver = new ClientAddressResolver(["192.0.2.1"]);
        Assert.Equal(IPAddress.Parse("203.0.113.5"), resolver.Resolve(IPAddress.Parse("::ffff:192.0.2.1"), ["203.0.113.5"]));
        Assert.Equal(IPAddress.Parse("192.0.2.2"), resolver.Resolve(IPAddress.Parse("::ffff:192.0.2.2"), ["203.0.113.5"]));
    }

    [Theory]
    [InlineData("proxy.example")]
    [InlineData("10.0.0.1/8")]
    [InlineData("10.0.0.0/33")]
    public void AnEntryThatIsNoAddressOrNetwork_IsRefused(string entry) =>
        Assert.Throws<ArgumentException>(() => new ClientAddressResolver([entry]));

    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2::ffff", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    public void RateLimitKeys_GroupIPv6ByTheir64(string address, string key) =>
        Assert.Equal(key, ClientAddressResolver.RateLimitKey(IPAddress.Parse(address)));

    [Fact]
    public async Task BehindATrustedProxy_RateLimitsAndLogsFollowTheForwardedClient()
    {
        var log = new CapturedLog();
        await using var registry = await InProcessBerth.StartAsync(server: options => options with
        {
            TrustedProxies = ["127.0.0.1"],
            RateLimits = new RateLimitOptions { PerClient = new RateLimit { RequestsPerSecond = 1, Burst = 1 } },
            LogLevel = LogLevel.Information,
            LoggerProviders = [log],
        });
        Assert.Equal(HttpStatusCode.OK, await StatusFromAsync(registry, "203.0.113.5"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusFromAsync(registry, "203.0.113.5"));
        // Another client behind the same proxy has its own bucket; a spoofed hop further left changes nothing.
        Assert.Equal(HttpStatusCode.OK, await StatusFromAsync(registry, "203.0.113.6"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusFromAsync(registry, "198.51.100.77, 203.0.113.6"));
        // IPv6 clients share a bucket per /64.
        Assert.Equal(HttpStatusCode.OK, await StatusFromAsync(registry, "2001:db8:1:2::1"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusFromAsync(registry, "2001:db8:1:2::ffff"));
        Assert.Equal(HttpStatusCode.OK, await StatusFromAsync(registry, "2001:db8:1:3::1"));

        for (var attempt = 0; attempt < 100 && log.MessagesOf<RequestLoggingMiddleware>().Count < 7; attempt++) await Task.Delay(50);
        var lines = log.MessagesOf<RequestLoggingMiddleware>();
        // The client is the line's second-to-last field, before the trace id.
        Assert.Contains(lines, l => l.Contains(" 203.0.113.5 ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(" 2001:db8:1:3::1 ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(" 127.0.0.1 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithoutTrustedProxies_ForwardedForCannotEscapeTheRateLimit()
    {
        await using var registry = await InProcessBerth.StartAsync(server: options => options with
        {
            RateLimits = new RateLimitOptions { PerClient = new RateLimit { RequestsPerSecond = 1, Burst = 1 } },
        });
        Assert.Equal(HttpStatusCode.OK, await StatusFromAsync(registry, "203.0.113.5"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusFromAsync(registry, "203.0.113.6"));
    }

    private static async Task<HttpStatusCode> StatusFromAsync(InProcessBerth registry, string forwardedFor)
    {
        using var response = await registry.Client.SendAsync(HttpMethod.Get, "/v2/", [(ForwardedClientMiddleware.ForwardedForHeader, forwardedFor)]);
        return response.StatusCode;
    }
}
