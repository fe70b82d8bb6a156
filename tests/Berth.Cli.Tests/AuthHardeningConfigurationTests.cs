using System.Collections;
using Berth.Cli.Configuration;
using Berth.Server.Hosting;

namespace Berth.Cli.Tests;

/// <summary>The failed-login limiter and password cache settings of the config file's auth section, and their defaults.</summary>
public sealed class AuthHardeningConfigurationTests
{
    [Fact]
    public void Defaults_LimitFailedLogins_AndCacheVerifiedPasswords()
    {
        var auth = Parse("""{ "auth": { "service": "registry.example.com" } }""").Auth!;
        Assert.Equal(30, auth.FailedLoginsPerClient);
        Assert.Equal(10, auth.FailedLoginsPerUser);
        Assert.Equal(TimeSpan.FromMinutes(5), auth.FailedLoginWindow);
        Assert.Equal(TimeSpan.FromMinutes(1), auth.PasswordCacheLifetime);
    }

    [Fact]
    public void FileSettings_ChangeThem()
    {
        var auth = Parse("""
            { "auth": { "failedLoginsPerClient": 0, "failedLoginsPerUser": 3, "failedLoginWindow": "00:15:00", "passwordCacheLifetime": "00:00:00" } }
            """).Auth!;
        Assert.Equal(0, auth.FailedLoginsPerClient);
        Assert.Equal(3, auth.FailedLoginsPerUser);
        Assert.Equal(TimeSpan.FromMinutes(15), auth.FailedLoginWindow);
        Assert.Equal(TimeSpan.Zero, auth.PasswordCacheLifetime);
    }

    private static ServerOptions Parse(string json)
    {
        using var file = new ConfigFile(json);
        return BerthConfiguration.Resolve(file.Path, [], new Hashtable());
    }
}
