using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Berth.Auth;
using Berth.Auth.Access;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Berth.Ui.Access;

/// <summary>
/// The signed-in session: an encrypted (Data Protection), HttpOnly, SameSite=Strict cookie holding the user's name
/// and a fingerprint of their password hash. Each request looks the user up in the directory again, so groups are
/// current and a removed user or a changed password ends every session at once, as it ends Basic logins.
/// </summary>
public static class UiSession
{
    public const string Scheme = "BerthUi";
    public const string CookieName = "berth-ui";
    private const string FingerprintClaim = "berth:password";

    /// <summary>The viewer of this request: the signed-in user, or the anonymous caller; unrestricted when auth is off.</summary>
    public static async Task<Viewer> ViewerAsync(HttpContext context)
    {
        if (context.Items.TryGetValue(typeof(Viewer), out var known) && known is Viewer cached) return cached;
        var auth = context.RequestServices.GetService<BerthAuth>();
        Viewer viewer;
        if (auth is null)
        {
            viewer = Viewer.Unrestricted;
        }
        else
        {
            var caller = Caller.Anonymous;
            var result = await context.AuthenticateAsync(Scheme);
            if (result.Succeeded && result.Principal.Identity?.Name is { } name
                && auth.Users.Find(name) is { } account
                && result.Principal.FindFirst(FingerprintClaim)?.Value == Fingerprint(account.PasswordHash))
            {
                caller = new Caller(CallerKind.User, new Principal(account.Name, account.Groups));
            }
            viewer = Viewer.For(auth, caller);
        }
        context.Items[typeof(Viewer)] = viewer;
        return viewer;
    }

    /// <summary>
    /// Checks the password through the API's authenticator (failed-login limiter, credential cache, bcrypt) and
    /// starts the session. Null on success, else what to tell the user.
    /// </summary>
    public static async Task<string?> SignInAsync(HttpContext context, string user, string password)
    {
        var auth = context.RequestServices.GetService<BerthAuth>();
        if (auth is null) return "This registry has no users: everything is open without signing in.";
        var host = context.RequestServices.GetRequiredService<UiHostOptions>();
        var caller = auth.AuthenticatePassword(host.ClientKey(context), user, password, out var retryAfter);
        if (retryAfter > TimeSpan.Zero)
        {
            return $"Too many wrong passwords. Try again in {Math.Max(1, (int)Math.Ceiling(retryAfter.TotalMinutes))} minute(s).";
        }
        if (caller is null || auth.Users.Find(caller.Name) is not { } account) return "The user name or password is wrong.";
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, account.Name), new Claim(FingerprintClaim, Fingerprint(account.PasswordHash))], Scheme);
        await context.SignInAsync(Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false });
        context.Items.Remove(typeof(Viewer));
        return null;
    }

    public static Task SignOutAsync(HttpContext context) => context.SignOutAsync(Scheme);

    internal static void ConfigureCookie(CookieAuthenticationOptions cookie)
    {
        cookie.Cookie.Name = CookieName;
        cookie.Cookie.Path = "/ui";
        cookie.Cookie.HttpOnly = true;
        cookie.Cookie.SameSite = SameSiteMode.Strict;
        cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        cookie.Cookie.IsEssential = true;
        cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
        cookie.SlidingExpiration = true;
        cookie.LoginPath = "/ui/login";
        // Pages decide what an anonymous viewer sees; nothing is ever redirected by the handler itself.
        cookie.Events.OnRedirectToLogin = c =>
        {
            c.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        };
        cookie.Events.OnRedirectToAccessDenied = c =>
        {
            c.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        };
    }

    /// <summary>Changes whenever the password does; the hash itself never leaves the server, even encrypted.</summary>
    private static string Fingerprint(string passwordHash) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("berth-ui-session\n" + passwordHash)), 0, 16);
}
