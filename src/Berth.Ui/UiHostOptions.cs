using Microsoft.AspNetCore.Http;

namespace Berth.Ui;

/// <summary>What the UI takes from the server that hosts it.</summary>
public sealed record UiHostOptions
{
    /// <summary>The registry's data folder: cookie-encryption keys an older Berth kept in its "ui/keys" are imported from there once.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>
    /// The key the failed-login limiter counts a client's wrong passwords under, the same one HTTP Basic logins on the
    /// API use, so the sign-in form is no way around a lockout.
    /// </summary>
    public required Func<HttpContext, string> ClientKey { get; init; }

}
