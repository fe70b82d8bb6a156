using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Berth.Client.Tests.Support;

/// <summary>
/// A real <c>docker-credential-&lt;name&gt;</c> program (a shell script) in its own folder, speaking the
/// docker-credential-helpers protocol and keeping one file per server URL beside it. It logs each
/// action and server URL it was asked for. Nothing is put on the test process's PATH: give
/// <see cref="Folder"/> to the store, or to a child process's PATH.
/// </summary>
public sealed class FileCredentialHelper : IDisposable
{
    private readonly TemporaryFolder _folder = new("berth-credential-helper");

    public FileCredentialHelper(string name, string? body = null)
    {
        Name = name;
        var script = _folder.File("docker-credential-" + name, Encoding.UTF8.GetBytes(body ?? StoringScript));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(_folder.Sub("store"));
    }

    public string Name { get; }

    public string Folder => _folder.Path;

    /// <summary>"get https://index.docker.io/v1/", "store localhost:5000", … in the order asked.</summary>
    public IReadOnlyList<string> Requests =>
        File.Exists(_folder.Sub("requests.log")) ? File.ReadAllLines(_folder.Sub("requests.log")) : [];

    /// <summary>What the helper holds for a server URL, as the JSON it was given (null when nothing).</summary>
    public JsonElement? Stored(string serverUrl)
    {
        var file = FileFor(serverUrl);
        return File.Exists(file) ? JsonDocument.Parse(File.ReadAllText(file)).RootElement : null;
    }

    public void Put(string serverUrl, string username, string secret) =>
        File.WriteAllText(FileFor(serverUrl), JsonSerializer.Serialize(new { ServerURL = serverUrl, Username = username, Secret = secret }));

    private string FileFor(string serverUrl) =>
        _folder.Sub("store/" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(serverUrl))));

    public void Dispose() => _folder.Dispose();

    /// <summary>A helper that fails as a locked keychain would, with docker-credential-helpers' exit code 1 and message on stdout.</summary>
    public const string FailingScript = """
        #!/bin/sh
        cat > /dev/null
        echo "error getting credentials: the keychain is locked"
        exit 1
        """;

    /// <summary>A helper that never answers (a keychain prompt nobody sees).</summary>
    public const string HangingScript = """
        #!/bin/sh
        exec sleep 60
        """;

    private const string StoringScript = """
        #!/bin/sh
        here="$(cd "$(dirname "$0")" && pwd)"
        action="$1"
        input="$(cat)"
        case "$action" in
          store) url="$(printf '%s' "$input" | sed -n 's/.*"ServerURL" *: *"\([^"]*\)".*/\1/p')" ;;
          get|erase) url="$input" ;;
          *) echo "unknown action $action"; exit 1 ;;
        esac
        printf '%s %s\n' "$action" "$url" >> "$here/requests.log"
        file="$here/store/$(printf '%s' "$url" | sha256sum | cut -c1-64)"
        case "$action" in
          store) printf '%s' "$input" > "$file" ;;
          get) if [ -f "$file" ]; then cat "$file"; else echo "credentials not found in native keychain"; exit 1; fi ;;
          erase) if [ -f "$file" ]; then rm "$file"; else echo "credentials not found in native keychain"; exit 1; fi ;;
        esac
        """;
}

/// <summary>
/// The real <c>berth</c> as a child process, for what must not happen in the test process: a PATH of its own,
/// where <c>docker-credential-*</c> helpers are looked up.
/// </summary>
public static class CliProcess
{
    public static async Task<CliResult> RunAsync(string? pathPrefix, string? input, params string[] arguments)
    {
        var environment = BerthCommand.InheritedEnvironment();
        if (pathPrefix is not null) environment["PATH"] = pathPrefix + Path.PathSeparator + environment.GetValueOrDefault("PATH");
        var (exitCode, output, errors) = await BerthCommand.RunWithInputAsync(environment, input, arguments);
        return new CliResult(exitCode, output, errors);
    }
}
