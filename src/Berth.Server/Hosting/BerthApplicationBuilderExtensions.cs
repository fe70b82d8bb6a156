using Berth.Auth;
using Berth.Server.Auth;
using Berth.Server.Endpoints;
using Berth.Server.Limits;
using Berth.Server.Observability;
using Berth.Server.Pipeline;
using Berth.Ui;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Server.Hosting;

/// <summary>The request pipeline of Berth, after <see cref="BerthServiceCollectionExtensions.AddBerth(IServiceCollection, ServerOptions)"/>.</summary>
public static class BerthApplicationBuilderExtensions
{
    /// <summary>
    /// Branches <c>/v2</c> (the distribution API) and, with authentication, <c>/auth/token</c>. Settings that can be
    /// wrong (rate limits, htpasswd, keys) and the stores are opened here, in that order, so a bad one fails the
    /// start rather than the first request.
    /// </summary>
    public static IApplicationBuilder MapBerth(this IApplicationBuilder app)
    {
        var services = app.ApplicationServices;
        var options = services.GetRequiredService<ServerOptions>();
        var limiter = services.GetService<RequestRateLimiter>() is { IsEnabled: true } enabled ? enabled : null;
        var auth = services.GetService<BerthAuth>();
        var endpoint = services.GetRequiredService<RegistryEndpoint>();
        var clientAddresses = services.GetRequiredService<ClientAddressResolver>();

        var metrics = services.GetRequiredService<ServerMetrics>();

        // First, so that rate limits, logs and tag-move actors all see the forwarded client.
        if (clientAddresses.HasTrustedProxies) app.UseMiddleware<ForwardedClientMiddleware>(clientAddresses);

        // metrics.listen: its own listener serves the operations paths and nothing else; the registry's serves all but /metrics.
        var ownListener = options.Metrics.Listen is not null;
        if (ownListener)
        {
            app.Use((context, next) => OperationsListener.IsOn(context) && !OperationsListener.Paths.Contains(context.Request.Path.Value)
                ? NotFoundAsync(context)
                : next(context));
        }
        if (options.Metrics.Enabled)
        {
            app.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider: null,
                predicate: context => context.Request.Path == "/metrics" && (!ownListener || OperationsListener.IsOn(context)),
                path: null, configureBranchedPipeline: null, optionsName: null);
        }
        app.MapHealthEndpoints();

        app.Map("/v2", v2 =>
        {
            v2.UseMiddleware<RequestMetricsMiddleware>(metrics);
            v2.UseMiddleware<RequestLoggingMiddleware>();
            v2.UseMiddleware<ProtocolHeadersMiddleware>(options.AnnounceConditionalRequests);
            v2.UseMiddleware<ErrorBoundaryMiddleware>();
            if (limiter is not null) v2.UseMiddleware<RateLimitMiddleware>(limiter);
            // Before access control, so the rules judge the local name a mirrored pull is served under.
            if (services.GetService<Cache.PullThroughCache>() is { } cache) v2.UseMiddleware<MirrorRoutingMiddleware>(cache);
            if (auth is not null) v2.UseMiddleware<AccessControlMiddleware>(auth);
            v2.Run(endpoint.HandleAsync);
        });
        if (auth is not null)
        {
            var tokens = services.GetRequiredService<TokenEndpoint>();
            app.Map(TokenEndpoint.Path, token =>
            {
                token.UseMiddleware<RequestMetricsMiddleware>(metrics, TokenEndpoint.Path);
                token.UseMiddleware<RequestLoggingMiddleware>();
                token.UseMiddleware<ErrorBoundaryMiddleware>();
                if (limiter is not null) token.UseMiddleware<RateLimitMiddleware>(limiter);
                token.Run(tokens.HandleAsync);
            });
        }
        // Last: the registry's paths have been answered above, so the UI's routing only ever sees the rest.
        if (options.Ui.Enabled) app.UseBerthUi();
        return app;
    }

    private static Task NotFoundAsync(Microsoft.AspNetCore.Http.HttpContext context)
    {
        context.Response.StatusCode = Microsoft.AspNetCore.Http.StatusCodes.Status404NotFound;
        return Task.CompletedTask;
    }
}
