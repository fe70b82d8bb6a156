namespace Berth.Server.Hosting;

/// <summary>
/// What an operator should hear before serving: the defaults (plain HTTP, no authentication) are safe only
/// on loopback, and an access list that is empty denies everything.
/// </summary>
public static class ExposureWarnings
{
    public static IReadOnlyList<string> For(ServerOptions options)
    {
        var warnings = new List<string>();
        var loopback = RegistryServer.IsLoopback(options.Listen);
        if (!loopback && options.Tls is null)
        {
            warnings.Add($"listening on {options.Listen} without TLS: passwords, tokens and images cross the network unencrypted "
                         + "(set tls.certificate and tls.key)");
        }
        if (!loopback && options.Auth is null)
        {
            warnings.Add($"listening on {options.Listen} without authentication: anyone who can reach it can push, overwrite and delete "
                         + "(configure auth)");
        }
        if (options.Auth is { } auth)
        {
            if (auth.Access.Count == 0) warnings.Add("authentication is on but auth.access has no rules: every request will be denied");
            if (auth.Htpasswd is null && auth.Users.Count == 0 && auth.ExternalIssuer is null)
            {
                warnings.Add("authentication is on but no users are configured (auth.htpasswd or auth.users): only anonymous access works");
            }
        }
        return warnings;
    }
}
