using System.Collections;
using Berth.Cli.Configuration;
using Berth.Server.Hosting;

namespace Berth.Cli.Tests;

/// <summary>The auth, tls and rateLimits sections of the config file, and the environment settings that override them.</summary>
public sealed class AuthConfigurationTests
{
    private const string File = """
        {
          "auth": {
            "service": "registry.example.com",
            "htpasswd": "/etc/berth/htpasswd",
            "users": [ { "name": "ci", "passwordHash": "$2y$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i", "groups": ["builders"] } ],
            "groups": { "readers": ["rita"] },
            "access": [ { "repositories": "public/**", "anonymous": true, "actions": ["pull"] } ],
            "tokenLifetime": "00:10:00",
            "externalIssuer": { "issuer": "https://idp.example.com", "jwks": "/etc/berth/jwks.json" }
          },
          "tls": { "certificate": "/etc/berth/tls.crt", "key": "/etc/berth/tls.key" },
          "rateLimits": { "perClient": { "requestsPerSecond": 50, "burst": 200 } }
        }
        """;

    [Fact]
    public void FileSections_BecomeServerOptions()
    {
        var options = Parse(File);
        var auth = options.Auth!;
        Assert.Equal("registry.example.com", auth.Service);
        Assert.Equal("/etc/berth/htpasswd", auth.Htpasswd);
        Assert.Equal(["builders"], auth.Users.Single().Groups);
        Assert.Equal(["rita"], auth.Groups["readers"]);
        Assert.True(auth.Access.Single().Anonymous);
        Assert.Equal(TimeSpan.FromMinutes(10), auth.TokenLifetime);
        Assert.Equal(TimeSpan.FromMinutes(1), auth.ClockSkew);
        Assert.Equal("/etc/berth/jwks.json", auth.ExternalIssuer!.Jwks);
        Assert.Equal("/etc/berth/tls.key", options.Tls!.Key);
        Assert.Equal(200, options.RateLimits!.PerClient!.Burst);
        Assert.Null(options.RateLimits.Global);
    }

    [Fact]
    public void Environment_OverridesSingleKeys_AndKeepsTheRest()
    {
        var environment = new Dictionary<string, string>
        {
            ["BERTH_HTPASSWD"] = "/run/htpasswd",
            ["BERTH_AUTH_REALM"] = "https://registry.example.com/auth/token",
            ["BERTH_TLS_CERT"] = "/run/tls.crt",
            ["BERTH_RATE_LIMIT_GLOBAL"] = "1000",
        };
        var options = Parse(File, environment);
        Assert.Equal("/run/htpasswd", options.Auth!.Htpasswd);
        Assert.Equal("https://registry.example.com/auth/token", options.Auth.Realm);
        Assert.Equal("registry.example.com", options.Auth.Service);
        Assert.Equal("/run/tls.crt", options.Tls!.Certificate);
        Assert.Equal("/etc/berth/tls.key", options.Tls.Key);
        Assert.Equal(1000, options.RateLimits!.Global!.RequestsPerSecond);
        Assert.Equal(50, options.RateLimits.PerClient!.RequestsPerSecond);
    }

    [Fact]
    public void Defaults_AreOpenPlainHttpOnLoopback()
    {
        var options = BerthConfiguration.Resolve(null, [], new Hashtable());
        Assert.Null(options.Auth);
        Assert.Null(options.Tls);
        Assert.Null(options.RateLimits);
        Assert.Equal("127.0.0.1:5000", options.Listen);
        // An htpasswd from the environment alone turns authentication on.
        var withUsers = BerthConfiguration.Resolve(null, [], new Hashtable { ["BERTH_HTPASSWD"] = "/run/htpasswd" });
        Assert.Equal("/run/htpasswd", withUsers.Auth!.Htpasswd);
    }

    private static ServerOptions Parse(string json, IDictionary<string, string>? environment = null)
    {
        using var file = new ConfigFile(json);
        return BerthConfiguration.Resolve(file.Path, [], new Hashtable((IDictionary)(environment ?? new Dictionary<string, string>())));
    }
}
