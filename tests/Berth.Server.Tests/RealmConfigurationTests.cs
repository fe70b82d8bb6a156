using System.Net;
using Berth.Server.Hosting;
using Berth.Server.Tests.Support;

namespace Berth.Server.Tests;

/// <summary>
/// Without auth.realm the challenge names "&lt;scheme&gt;://&lt;Host header&gt;/auth/token"; off loopback that would
/// let whoever controls the Host name a client uses collect its password, so a realm must be configured there.
/// </summary>
public sealed class RealmConfigurationTests
{
    [Theory]
    [InlineData("0.0.0.0:5000")]
    [InlineData(":5000")]
    [InlineData("[::]:5000")]
    [InlineData("192.0.2.10:5000")]
    public void NonLoopbackWithAuthAndNoRealm_RefusesToStart_NamingTheSetting(string listen)
    {
        var data = Path.Combine(Path.GetTempPath(), "berth-test-" + Guid.NewGuid().ToString("N"));
        var options = new ServerOptions
        {
            Listen = listen,
            Registry = new Berth.Registry.RegistryOptions { DataDirectory = data },
            Auth = AuthScenario.Options,
        };
        var refused = Assert.Throws<InvalidDataException>(() => RegistryServer.Create(options));
        Assert.Contains("auth.realm", refused.Message);
        Assert.Contains("BERTH_AUTH_REALM", refused.Message);
        Assert.False(Directory.Exists(data));
    }

    [Fact]
    public async Task NonLoopbackWithARealm_Starts()
    {
        var data = Path.Combine(Path.GetTempPath(), "berth-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new ServerOptions
            {
                Listen = "0.0.0.0:0",
                Registry = new Berth.Registry.RegistryOptions { DataDirectory = data },
                Auth = AuthScenario.Options with { Realm = "https://registry.example.com/auth/token" },
            };
            await using var server = RegistryServer.Create(options);
            Assert.NotNull(server.Auth);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Loopback_KeepsTheHostDerivedRealm()
    {
        await using var registry = await AuthScenario.StartAsync();
        using var challenge = await registry.Client.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        Assert.StartsWith($"Bearer realm=\"http://{registry.Address.Authority}/auth/token\"", challenge.Header("WWW-Authenticate"));
    }

    [Fact]
    public async Task ConfiguredRealm_IsWhatTheChallengeNames_WhateverTheHostHeader()
    {
        await using var registry = await AuthScenario.StartAsync(options => options with { Realm = "https://registry.example.com/auth/token" });
        using var challenge = await registry.Client.SendAsync(HttpMethod.Get, "/v2/", [("Host", "evil.example")]);
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        Assert.StartsWith("Bearer realm=\"https://registry.example.com/auth/token\"", challenge.Header("WWW-Authenticate"));
    }
}
