using Berth.Auth;
using Berth.Cache;
using Berth.Events;
using Berth.Registry;
using Berth.Server.Auth;
using Berth.Server.Configuration;
using Berth.Server.Endpoints;
using Berth.Server.Limits;
using Berth.Server.Observability;
using Berth.Ui;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Berth.Server.Hosting;

/// <summary>
/// Berth's services in any ASP.NET Core host: <c>berth serve</c>, a test on TestServer, or an application that embeds
/// the registry. <see cref="BerthApplicationBuilderExtensions.MapBerth"/> then adds its endpoints.
/// </summary>
public static class BerthServiceCollectionExtensions
{
    /// <summary>Binds and validates <paramref name="configuration"/> (see <see cref="BerthSettings"/>) and adds Berth.</summary>
    public static IServiceCollection AddBerth(this IServiceCollection services, IConfiguration configuration) =>
        services.AddBerth(BerthSettings.Bind(configuration));

    /// <summary>
    /// The registry with the stores its options pick, authentication and rate limits when configured, and background
    /// upkeep. Each is created when the host first needs it and disposed with the host. A <see cref="TimeProvider"/>
    /// registered by the host (a fake one in tests) drives token lifetimes.
    /// </summary>
    public static IServiceCollection AddBerth(this IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(options.Registry);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider => RegistryStorage.Open(options.Registry,
            provider.GetService<Microsoft.Extensions.Logging.ILoggerFactory>(), provider.GetRequiredService<TimeProvider>()));
        // Created with the registry's first use, before any write: a write recorded before its planner is set has no events.
        services.AddSingleton(provider => new RegistryNotifications(options.Notifications, provider.GetRequiredService<BerthRegistry>().Events,
            EventSource.ForThisProcess($"{Environment.MachineName}:{options.Listen.Split(':')[^1]}"), provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("Berth.Events")));
        services.AddSingleton<RegistryEndpoint>();
        services.AddSingleton(new ClientAddressResolver(options.TrustedProxies));
        if (options.Auth is { } auth)
        {
            services.AddSingleton(provider => BerthAuth.Create(auth, options.Registry.DataDirectory, provider.GetRequiredService<TimeProvider>()));
            services.AddSingleton<TokenEndpoint>();
        }
        if (options.Cache is { Upstreams.Count: > 0 } cache)
        {
            services.AddSingleton(provider => new PullThroughCache(cache, provider.GetRequiredService<BerthRegistry>(),
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("Berth.Cache")));
        }
        if (options.RateLimits is { } limits) services.AddSingleton(_ => new RequestRateLimiter(limits));
        services.AddBerthTelemetry(options);
        services.AddSingleton(provider => new SettingsReloader(options, provider.GetRequiredService<BerthRegistry>(),
            provider.GetService<BerthAuth>(), provider.GetService<PullThroughCache>(), provider.GetRequiredService<RegistryNotifications>()));
        services.AddHostedService<EventDeliveryService>();
        if (options.Ui.Enabled)
        {
            services.AddBerthUi(new UiHostOptions
            {
                DataDirectory = options.Registry.DataDirectory,
                ClientKey = FailedLoginResponse.ClientOf,
            });
        }
        services.AddHostedService<UploadExpiryService>();
        services.AddHostedService<GarbageCollectionService>();
        return services;
    }
}
