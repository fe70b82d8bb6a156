using Berth.Registry;
using Berth.Ui.Access;
using Berth.Ui.Browsing;
using Berth.Ui.Components;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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
        // Without an XML encryptor, XmlKeyManager warns at each new key that it is stored unencrypted. That is the
        // intent: the keys are protected at rest by their owner-only folder, as the token signing keys in auth/ are,
        // and an encryptor would need a secret of its own kept somewhere just as readable. The rule is for this one
        // category: its errors (a key element it cannot read) still show, and so does every other warning.
        services.Configure<LoggerFilterOptions>(filters => filters.AddFilter(typeof(XmlKeyManager).FullName, LogLevel.Error));
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
            // CreateDirectory leaves an existing folder as it is: one made by hand or copied from another replica
            // with a looser mode is closed here, since the folder's mode is all that protects the keys.
            if ((File.GetUnixFileMode(keys) & ~ownerOnly) != 0) File.SetUnixFileMode(keys, ownerOnly);
        }
        return new DirectoryInfo(keys);
    }
}
