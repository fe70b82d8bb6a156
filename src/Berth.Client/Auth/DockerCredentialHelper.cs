using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Berth.Client.Auth;

/// <summary>
/// A credential helper failed, hung, printed something unreadable, or is not installed. The message
/// names the helper program and never contains the secret.
/// </summary>
public sealed class CredentialHelperException(string helper, string message) : Exception(message)
{
    /// <summary>The program, e.g. <c>docker-credential-pass</c>.</summary>
    public string Helper { get; } = helper;
}

/// <summary>
/// One <c>docker-credential-&lt;name&gt;</c> program, spoken to as docker-credential-helpers defines
/// (client/client.go, credentials/credentials.go): the action is the only argument; <c>get</c> and
/// <c>erase</c> read the server URL on stdin, <c>store</c> reads
/// <c>{"ServerURL","Username","Secret"}</c>; <c>get</c> prints that JSON. A failing helper exits
/// non-zero with its error on stdout, and "credentials not found in native keychain" is the error that
/// means there is nothing stored (credentials/error.go), which is not a failure.
/// </summary>
internal sealed class DockerCredentialHelper
{
    public const string ProgramPrefix = "docker-credential-";

    /// <summary>credentials/error.go <c>errCredentialsNotFoundMessage</c>; matched loosely, as some helpers add context.</summary>
    private const string NotFoundMessage = "credentials not found";

    private readonly string? _searchPath;
    private readonly TimeSpan _timeout;

    public DockerCredentialHelper(string name, string configuredBy, string? searchPath, TimeSpan timeout)
    {
        Name = name;
        ConfiguredBy = configuredBy;
        _searchPath = searchPath;
        _timeout = timeout;
    }

    public string Name { get; }

    /// <summary>"credsStore" or "credHelpers", for messages.</summary>
    public string ConfiguredBy { get; }

    public string Program => ProgramPrefix + Name;

    /// <summary><c>get</c>: the credential, or null when the helper has none for the URL.</summary>
    public async Task<RegistryCredential?> GetAsync(string serverUrl, CancellationToken cancellationToken)
    {
        var result = await RunAsync("get", serverUrl, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            if (IsNotFound(result)) return null;
            throw Failure("get", serverUrl, result, secret: null);
        }
        HelperCredentials? answer;
        try
        {
            answer = JsonSerializer.Deserialize(result.Output, HelperJson.Default.HelperCredentials);
        }
        catch (JsonException)
        {
            // Not quoted: the output of a get may be (a mangled form of) the secret itself.
            throw new CredentialHelperException(Program,
                $"{Program} get {serverUrl} printed something that is not the JSON docker credential helpers print ({ConfiguredBy} in config.json)");
        }
        if (answer is null || (string.IsNullOrEmpty(answer.Username) && string.IsNullOrEmpty(answer.Secret))) return null;
        return answer.Username == RegistryCredential.IdentityTokenUsername
            ? RegistryCredential.FromIdentityToken(answer.Secret ?? "")
            : new RegistryCredential(answer.Username ?? "", answer.Secret ?? "");
    }

    /// <summary><c>store</c>: an identity token goes in under the user name <c>&lt;token&gt;</c>, as docker stores it.</summary>
    public async Task StoreAsync(string serverUrl, RegistryCredential credential, CancellationToken cancellationToken)
    {
        var input = JsonSerializer.Serialize(new HelperCredentials(serverUrl, credential.Username, credential.Password), HelperJson.Default.HelperCredentials);
        var result = await RunAsync("store", input, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0) throw Failure("store", serverUrl, result, credential.Password);
    }

    /// <summary><c>erase</c>: whether the helper had something to erase.</summary>
    public async Task<bool> EraseAsync(string serverUrl, CancellationToken cancellationToken)
    {
        var result = await RunAsync("erase", serverUrl, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode == 0) return true;
        if (IsNotFound(result)) return false;
        throw Failure("erase", serverUrl, result, secret: null);
    }

    private static bool IsNotFound(HelperResult result) =>
        result.Output.Contains(NotFoundMessage, StringComparison.OrdinalIgnoreCase)
        || result.Errors.Contains(NotFoundMessage, StringComparison.OrdinalIgnoreCase);

    private CredentialHelperException Failure(string action, string serverUrl, HelperResult result, string? secret)
    {
        var said = Quote(result.Output, secret) ?? Quote(result.Errors, secret);
        return new CredentialHelperException(Program,
            $"{Program} {action} {serverUrl} failed with exit code {result.ExitCode}{(said is null ? "" : $": {said}")} ({ConfiguredBy} in config.json)");
    }

    /// <summary>What a failing helper said, for the message: short, and never anything that may hold a secret.</summary>
    private static string? Quote(string text, string? secret)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0) return null;
        if (trimmed.Contains("Secret", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith('{')) return "(output withheld: it may hold a secret)";
        if (!string.IsNullOrEmpty(secret)) trimmed = trimmed.Replace(secret, "***", StringComparison.Ordinal);
        var line = trimmed.Split('\n')[0].Trim();
        return line.Length > 300 ? line[..300] + "…" : line;
    }

    /// <summary>Where <see cref="Program"/> is: the first match on the search path (PATH unless the store was given folders).</summary>
    private string Locate()
    {
        var folders = (_searchPath ?? Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] extensions = OperatingSystem.IsWindows() ? [".exe", ".cmd", ".bat", ""] : [""];
        foreach (var folder in folders)
        {
            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(folder, Program + extension);
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new CredentialHelperException(Program,
            $"{Program} is not installed: {ConfiguredBy} in config.json names the credential helper '{Name}', but no {Program} is on {(_searchPath is null ? "PATH" : "the helper search path")}");
    }

    private async Task<HelperResult> RunAsync(string action, string input, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Locate())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(action);
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new CredentialHelperException(Program, $"{Program} could not be started: {e.Message} ({ConfiguredBy} in config.json)");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            try
            {
                // No trailing newline: docker's client writes the bare URL (or JSON) and closes stdin.
                await process.StandardInput.WriteAsync(input.AsMemory(), timeout.Token).ConfigureAwait(false);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The helper exited without reading its input; its exit code and output say why.
            }
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            return new HelperResult(process.ExitCode, await output.ConfigureAwait(false), await errors.ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            // Observe the readers so their cancellation is not left unobserved.
            await Task.WhenAll(output, errors).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested) throw;
            throw new CredentialHelperException(Program,
                $"{Program} {action} did not finish within {_timeout.TotalSeconds:0.#} s and was stopped ({ConfiguredBy} in config.json)");
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // It exited meanwhile.
        }
    }

    private readonly record struct HelperResult(int ExitCode, string Output, string Errors);
}

/// <summary>credentials/credentials.go <c>Credentials</c>: the field names are capitalised exactly so.</summary>
internal sealed record HelperCredentials(
    [property: JsonPropertyName("ServerURL")] string? ServerUrl,
    [property: JsonPropertyName("Username")] string? Username,
    [property: JsonPropertyName("Secret")] string? Secret);

// Go's encoding/json, which every helper uses, matches field names case-insensitively; so do we.
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(HelperCredentials))]
internal sealed partial class HelperJson : JsonSerializerContext;
