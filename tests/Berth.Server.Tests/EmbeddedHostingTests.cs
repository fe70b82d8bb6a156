using System.Net;
using Berth.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Server.Tests;

/// <summary>Berth inside an application of its own: AddBerth from a configuration section, MapBerth next to the app's endpoints.</summary>
public sealed class EmbeddedHostingTests
{
    [Fact]
    public async Task AddBerthAndMapBerth_ServeTheRegistryBesideTheApplication()
    {
        var data = Path.Combine(Path.GetTempPath(), "berth-embedded-" + Guid.NewGuid().ToString("N"));
        try
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Berth:DataDirectory"] = data,
                ["Berth:Policies:0:Repositories"] = "frozen/**",
                ["Berth:Policies:0:ImmutableTags"] = "true",
            });
            builder.Services.AddBerth(builder.Configuration.GetSection("Berth"));
            await using var app = builder.Build();
            app.MapBerth();
            app.Run(context => context.Response.WriteAsync("the application"));
            await app.StartAsync();

            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            using var registryBase = await client.GetAsync("/v2/");
            Assert.Equal(HttpStatusCode.OK, registryBase.StatusCode);
            Assert.Equal("registry/2.0", registryBase.Headers.GetValues("Docker-Distribution-API-Version").Single());
            Assert.Equal("the application", await client.GetStringAsync("/"));
            Assert.True(File.Exists(Path.Combine(data, "metadata.db")));
            Assert.True(app.Services.GetRequiredService<Berth.Registry.RegistryOptions>().Policies.Single().ImmutableTags);
            await app.StopAsync();
        }
        finally
        {
            if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public void AddBerth_RefusesAnInvalidSectionBeforeTheHostIsBuilt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Berth:Metadata:Kind"] = "postgresql",
            ["Berth:Listn"] = "127.0.0.1:1",
        }).Build();
        var error = Assert.Throws<Berth.Server.Configuration.InvalidSettingsException>(
            () => new ServiceCollection().AddBerth(configuration.GetSection("Berth")));
        Assert.Contains("'Berth:Listn': no such setting", error.Problems);
    }
}
