using System.Diagnostics.CodeAnalysis;
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
using Microsoft.Extensions.Options;

namespace Berth.Ui;

/// <summary>The web UI's services and pipeline, added by the server's AddBerth and MapBerth when ui:enabled.</summary>
public static class BerthUiExtensions
{
    public const string PathPrefix = "/ui";

    // ASP.NET Core 10 marks all of Razor components as not trimmable: the router finds pages by scanning an assembly,
    // and components get their [Parameter], [Inject] and [SupplyParameterFrom…] values by reflection over their
    // properties. The UI is static SSR only (no circuits, no JS interop, whose JSON is the part that needs runtime
    // code), so what is left is reflection over this assembly's own component types; a trimmed or native publish of
    // `berth` has to keep this assembly whole (TrimmerRootAssembly) for the pages and their properties to be found.
    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode",
        Justification = "Static SSR over an assembly rooted whole in the trimmed publish; see the comment above.")]
    public static IServiceCollection AddBerthUi(this IServiceCollection services, UiHostOptions host)
    {
        services.AddSingleton(host);
        services.AddSingleton(provider => new RegistryBrowser(provider.GetRequiredService<BerthRegistry>()));
        services.AddSingleton(provider => new Deletion(provider.GetRequiredService<BerthRegistry>()));
        services.AddRazorComponents();
        // Session cookies and antiforgery tokens are encrypted with keys kept in the metadata store (see KeyRingRepository),
        // so sessions survive a restart and every replica on one metadata database accepts the others' cookies.
        services.AddDataProtection().SetApplicationName("berth");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider => new ConfigureOptions<KeyManagementOptions>(keys =>
            keys.XmlRepository = new KeyRingRepository(provider.GetRequiredService<BerthRegistry>().KeyRing, host.DataDirectory,
                provider.GetRequiredService<ILoggerFactory>().CreateLogger<KeyRingRepository>())));
        // Without an XML encryptor, XmlKeyManager warns at each new key that it is stored unencrypted. That is the
        // intent: the keys live in the metadata database and are protected as the database is (its file's owner-only
        // folder for the embedded store, the database's own access control for PostgreSQL), like the registry's
        // metadata itself; an encryptor would need a secret of its own, kept somewhere each replica can read. The rule
        // is for this one category: its errors (a key element it cannot read) still show, and so does every other warning.
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
}
