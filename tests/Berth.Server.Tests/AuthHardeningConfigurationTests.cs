using Berth.Cli.Configuration;

namespace Berth.Server.Tests;

/// <summary>The failed-login limiter and password cache settings of the config file's auth section, and their defaults.</summary>
public sealed class AuthHardeningConfigurationTests
{
    [Fact]
    public void Defaults_LimitFailedLogins_AndCacheVerifiedPasswords()
    {
        var auth = Parse("""{ "auth": { "service": "registry.example.com" } }""").ToServerOptions().Auth!;
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
            """).ToServerOptions().Auth!;
        Assert.Equal(0, auth.FailedLoginsPerClient);
        Assert.Equal(3, auth.FailedLoginsPerUser);
        Assert.Equal(TimeSpan.FromMinutes(15), auth.FailedLoginWindow);
        Assert.Equal(TimeSpan.Zero, auth.PasswordCacheLifetime);
    }

    private static BerthConfiguration Parse(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), "berth-config-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        try
        {
            return BerthConfiguration.FromFile(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
