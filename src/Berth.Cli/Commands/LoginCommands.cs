using System.CommandLine;
using Berth.Cli.Invocation;
using Berth.Client;
using Berth.Client.Auth;

namespace Berth.Cli.Commands;

/// <summary>
/// <c>berth login</c> / <c>berth logout</c>: credentials in docker's config.json, or in the credential
/// helper it configures for the registry (<c>credHelpers</c>, <c>credsStore</c>), as docker login/logout.
/// </summary>
internal static class LoginCommands
{
    public static Command CreateLogin(GlobalOptions options)
    {
        var registry = new Argument<string>("registry") { Description = "Registry host[:port], e.g. localhost:5000 or ghcr.io" };
        var username = new Option<string?>("--username", "-u") { Description = "User name" };
        var password = new Option<string?>("--password", "-p") { Description = "Password or access token (prefer --password-stdin)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input" };
        var command = new Command("login", "Check credentials against a registry and save them in docker's config.json, or its credential helper for the registry")
        {
            registry, username, password, passwordStdin,
        };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var host = parse.GetRequiredValue(registry);
            var user = parse.GetValue(username) ?? throw new UsageException("--username is required");
            var secret = parse.GetValue(passwordStdin)
                ? (await Console.In.ReadToEndAsync(cancellationToken)).TrimEnd('\r', '\n')
                : parse.GetValue(password) ?? throw new UsageException("give --password or --password-stdin");
            var credential = new RegistryCredential(user, secret);

            // Verify before saving: a typo should fail here, not on the next push.
            using (var client = new RegistryClientBuilder(host).WithCredentials(new StaticCredentialProvider(credential))
                       .AllowPlainHttp(parse.GetValue(options.PlainHttp)).Build())
            {
                await client.PingAsync(cancellationToken);
            }
            var store = session.Credentials;
            var helper = store.CredentialHelperFor(host);
            await store.StoreAsync(host, credential, cancellationToken);
            var helperProgram = helper is null ? null : "docker-credential-" + helper;
            await session.WriteResultAsync(new { registry = host, username = user, configFile = store.ConfigFile, credentialHelper = helperProgram },
                $"Login succeeded for {host}; saved " + (helperProgram is null ? $"in {store.ConfigFile}" : $"by the credential helper {helperProgram}"));
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateLogout(GlobalOptions options)
    {
        var registry = new Argument<string>("registry") { Description = "Registry host[:port]" };
        var command = new Command("logout", "Remove a registry's saved credentials from docker's config.json and its credential helper") { registry };
        command.SetClientAction(options, async (session, parse, cancellationToken) =>
        {
            var host = parse.GetRequiredValue(registry);
            var helper = session.Credentials.CredentialHelperFor(host);
            var removed = await session.Credentials.RemoveAsync(host, cancellationToken);
            var helperProgram = helper is null ? null : "docker-credential-" + helper;
            await session.WriteResultAsync(new { registry = host, removed, credentialHelper = helperProgram },
                removed ? $"Removed credentials for {host}" + (helperProgram is null ? "" : $" (credential helper {helperProgram})")
                    : $"No credentials were saved for {host}");
            return ExitCodes.Success;
        });
        return command;
    }

}
