using Berth.Registry;
using Berth.Ui.Access;
using Berth.Ui.Browsing;
using Berth.Ui.Components;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Ui;

/// <summary>The web UI's services and pipeline, added by the server's AddBerth and MapBerth when ui:enabled.</summary>
public static class BerthUiExtensions
{
    public const string PathPrefix = "/ui";

    public static IServiceCollection AddBerthUi(this IServiceCollection services, UiHostOptions host)
    {
        services.AddSingleton(host);
        services.AddSingleton(provider => new RegistryBrowser(provider.GetRequiredService<BerthRegistry>()));
        services.AddSingleton(provider => new Deletion(provider.GetRequiredService<BerthRegistry>()));
        services.AddRazorComponents();
        // Session cookies and antiforgery tokens are encrypted with keys kept in the data folder, so sessions survive a
        // restart and replicas that share the folder's "ui/keys" accept each other's cookies.
        services.AddDataProtection()
            .SetApplicationName("berth")
            .PersistKeysToFileSystem(KeyDirectory(host.DataDirectory));
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "berth-ui-antiforgery";
            antiforgery.Cookie.Path = PathPrefix;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.HttpOnly = true;
        });
        services.AddAuthentication(UiSession.Scheme).AddCookie(UiSession.Scheme, UiSession.ConfigureCookie);
        return services;
    }

    /// <summary>
    /// Routing for /ui/ only (the registry's /v2 branch has answered before this runs): the assets are served from
    /// the assembly, everything else is a Razor component rendered on the server. "/" is left to the host: an
    /// application that embeds Berth keeps its own, and <c>berth serve</c> redirects it to /ui/.
    /// </summary>
    public static IApplicationBuilder UseBerthUi(this IApplicationBuilder app)
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments(PathPrefix), ui => ui.UseMiddleware<UiSecurityHeaders>());
        app.UseRouting();
        app.UseAuthentication();
        app.UseAntiforgery();
        app.UseEndpoints(endpoints =>
        {
            endpoints.MapGet(PathPrefix + "/assets/{file}", UiAssets.Serve);
            endpoints.MapRazorComponents<App>();
        });
        return app;
    }

    private static DirectoryInfo KeyDirectory(string dataDirectory)
    {
        var ui = Path.Combine(dataDirectory, "ui");
        var keys = Path.Combine(ui, "keys");
        // Owner-only, like the rest of the data folder: these keys decrypt session cookies. Each level is created
        // on its own, because CreateDirectory applies the mode only to the last one.
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(keys);
        else
        {
            const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            Directory.CreateDirectory(ui, ownerOnly);
            Directory.CreateDirectory(keys, ownerOnly);
        }
        return new DirectoryInfo(keys);
    }
}
