using System.CommandLine;

namespace Berth.Cli.Invocation;

internal enum OutputFormat
{
    Text,
    Json,
}

/// <summary>
/// Options every client command accepts. One instance per command tree (options know their parents,
/// so instances are not shared between trees built concurrently, e.g. by tests).
/// </summary>
internal sealed class GlobalOptions
{
    public Option<OutputFormat> Output { get; } = new("--output")
    {
        Description = "text (default) or json: one JSON object on stdout, for scripts",
        Recursive = true,
        DefaultValueFactory = _ => OutputFormat.Text,
    };

    public Option<bool> PlainHttp { get; } = new("--plain-http")
    {
        Description = "Allow plain HTTP to a registry that is not on loopback (loopback always uses it)",
        Recursive = true,
    };

    public Option<string?> DockerConfig { get; } = new("--docker-config")
    {
        Description = "Folder holding config.json with registry credentials (default $DOCKER_CONFIG, else ~/.docker)",
        Recursive = true,
    };

    public IEnumerable<Option> All => [Output, PlainHttp, DockerConfig];
}

/// <summary>Shared by the commands that make conditional writes.</summary>
internal static class ConditionalOptions
{
    public static Option<bool> AllowUnprotected() => new("--allow-unprotected")
    {
        Description = "Write even if the registry ignores If-Match/If-None-Match (the write may then race; the result says so)",
    };
}
