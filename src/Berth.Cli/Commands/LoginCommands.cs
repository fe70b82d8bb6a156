using System.CommandLine;
using Berth.Cli.Invocation;
using Berth.Client;
using Berth.Client.Auth;

namespace Berth.Cli.Commands;

/// <summary><c>berth login</c> / <c>berth logout</c>: the <c>auths</c> entries of docker's config.json.</summary>
public static class LoginCommands
{
    public static Command CreateLogin(GlobalOptions options)
    {
        var registry = new Argument<string>("registry") { Description = "Registry host[:port], e.g. localhost:5000 or ghcr.io" };
        var username = new Option<string?>("--username", "-u") { Description = "User name" };
        var password = new Option<string?>("--password", "-p") { Description = "Password or access token (prefer --password-stdin)" };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input" };
        var command = new Command("login", "Check credentials against a registry and save them in docker's config.json")
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
            session.Credentials.Store(host, credential);
            await session.WriteResultAsync(new { registry = host, username = user, configFile = session.Credentials.ConfigFile },
                $"Login succeeded for {host}; saved in {session.Credentials.ConfigFile}");
            return ExitCodes.Success;
        });
        return command;
    }

    public static Command CreateLogout(GlobalOptions options)
    {
        var registry = new Argument<string>("registry") { Description = "Registry host[:port]" };
        var command = new Command("logout", "Remove a registry's saved credentials from docker's config.json") { registry };
        command.SetClientAction(options, async (session, parse, _) =>
        {
            var host = parse.GetRequiredValue(registry);
            var removed = session.Credentials.Remove(host);
            await session.WriteResultAsync(new { registry = host, removed },
                removed ? $"Removed credentials for {host}" : $"No credentials were saved for {host}");
            return ExitCodes.Success;
        });
        return command;
    }

}
