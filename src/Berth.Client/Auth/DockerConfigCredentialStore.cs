using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Client.Auth;

/// <summary>
/// Registry credentials as docker keeps them, read the way docker, podman and crane read them: the
/// <c>auths</c> section of docker's config.json (<c>{"auths": {"host:port": {"auth": base64("user:password")}}}</c>,
/// or an <c>identitytoken</c>), and the credential helpers it names — <c>credHelpers</c> (one helper
/// per registry) and <c>credsStore</c> (the helper for every other registry), each a
/// <c>docker-credential-&lt;name&gt;</c> program on PATH. Other sections and fields are kept untouched
/// on write.
/// </summary>
/// <remarks>
/// Which source answers for a registry follows docker/cli (cli/config/configfile/file.go
/// <c>GetCredentialsStore</c>, <c>getConfiguredCredentialStore</c>): <c>credHelpers[server]</c> if
/// present (an empty name there means "use auths"), else <c>credsStore</c>, else <c>auths</c>. A helper
/// that is configured for a registry is its only source, as in docker: when it has nothing stored,
/// an entry in <c>auths</c> is not read instead (docker keeps only non-secret fields there).
/// </remarks>
public sealed class DockerConfigCredentialStore : ICredentialProvider
{
    /// <summary>
    /// docker's key for Docker Hub (registry.IndexServer); every other registry is keyed by its bare
    /// host[:port] (docker/cli cli/config/credentials.ConvertToHostname).
    /// </summary>
    public const string DockerHubServerAddress = "https://index.docker.io/v1/";

    /// <summary>A helper's answer is reused this long, so one command does not start a helper per request.</summary>
    private static readonly TimeSpan HelperAnswerLifetime = TimeSpan.FromMinutes(1);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly Dictionary<string, CachedAnswer> _answers = new(StringComparer.Ordinal);

    public DockerConfigCredentialStore(string configFile) => ConfigFile = configFile;

    public string ConfigFile { get; }

    /// <summary>
    /// Folders to look for <c>docker-credential-&lt;name&gt;</c> programs in, separated as in PATH;
    /// null (the default) searches PATH, as docker does.
    /// </summary>
    public string? HelperSearchPath { get; init; }

    /// <summary>
    /// How long a helper may take before it is stopped and the lookup fails naming it (a helper that
    /// waits for a keychain prompt nobody sees would otherwise hang every command). Default 30 seconds.
    /// </summary>
    public TimeSpan HelperTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>$DOCKER_CONFIG/config.json, else ~/.docker/config.json (docker's own lookup order).</summary>
    public static DockerConfigCredentialStore Default(string? configDirectory = null)
    {
        var directory = configDirectory
            ?? Environment.GetEnvironmentVariable("DOCKER_CONFIG")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        return new DockerConfigCredentialStore(Path.Combine(directory, "config.json"));
    }

    /// <summary>
    /// The key docker uses for a registry in <c>auths</c>, <c>credHelpers</c> and as the helper's
    /// server URL: <see cref="DockerHubServerAddress"/> for Docker Hub, else the bare host[:port].
    /// </summary>
    public static string ServerAddressFor(string registry)
    {
        var host = Hostname(registry);
        return NormalizeKey(host) == "docker.io" ? DockerHubServerAddress : host;
    }

    /// <summary>The name of the credential helper that holds this registry's credentials, or null when they live in <c>auths</c>.</summary>
    public string? CredentialHelperFor(string registry) => HelperFor(Load(), registry)?.Name;

    public async ValueTask<RegistryCredential?> GetCredentialAsync(string registry, CancellationToken cancellationToken)
    {
        var root = Load();
        if (HelperFor(root, registry) is { } helper)
        {
            return await CachedGetAsync(helper, ServerAddressFor(registry), cancellationToken).ConfigureAwait(false);
        }
        return FromAuths(root, registry);
    }

    /// <summary>
    /// Saves the registry's credentials: through its credential helper when one is configured (and
    /// then config.json gets only the empty <c>auths</c> entry docker writes, never the secret), else
    /// as an <c>auths</c> entry, creating the file (mode 600) if needed.
    /// </summary>
    /// <exception cref="CredentialHelperException">The helper failed, hung or is not installed.</exception>
    public async Task StoreAsync(string registry, RegistryCredential credential, CancellationToken cancellationToken = default)
    {
        var key = ServerAddressFor(registry);
        var helper = HelperFor(Load(), registry);
        if (helper is not null)
        {
            await helper.StoreAsync(key, credential, cancellationToken).ConfigureAwait(false);
            Forget(helper, key);
        }

        var root = Load() ?? new JsonObject();
        if (root["auths"] is not JsonObject auths)
        {
            auths = new JsonObject();
            root["auths"] = auths;
        }
        // Any spelling of this registry's key goes, so no stale secret stays behind beside the new one.
        RemoveMatching(auths, registry);
        if (helper is not null)
        {
            // docker's native store saves the entry with user, password and token blanked
            // (cli/config/credentials/native_store.go Store), which serialises as {}.
            auths[key] = new JsonObject();
        }
        else if (credential.IsIdentityToken)
        {
            // docker's file store: the identity token in its own field, no password (cli/command/registry/login.go).
            auths[key] = new JsonObject { ["identitytoken"] = credential.Password };
        }
        else
        {
            auths[key] = new JsonObject
            {
                ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")),
            };
        }
        Save(root);
    }

    /// <summary>Synchronous <see cref="StoreAsync"/>.</summary>
    public void Store(string registry, RegistryCredential credential) => StoreAsync(registry, credential).GetAwaiter().GetResult();

    /// <summary>
    /// Removes the registry's <c>auths</c> entry and, when a helper is configured for it, erases the
    /// credentials it holds (docker logout does both). Returns whether anything was removed.
    /// </summary>
    /// <exception cref="CredentialHelperException">The helper failed, hung or is not installed.</exception>
    public async Task<bool> RemoveAsync(string registry, CancellationToken cancellationToken = default)
    {
        var root = Load();
        var removed = false;
        if (root?["auths"] is JsonObject auths && RemoveMatching(auths, registry))
        {
            Save(root);
            removed = true;
        }
        if (HelperFor(root, registry) is { } helper)
        {
            var key = ServerAddressFor(registry);
            Forget(helper, key);
            removed |= await helper.EraseAsync(key, cancellationToken).ConfigureAwait(false);
        }
        return removed;
    }

    /// <summary>Synchronous <see cref="RemoveAsync"/>.</summary>
    public bool Remove(string registry) => RemoveAsync(registry).GetAwaiter().GetResult();

    private Task<RegistryCredential?> CachedGetAsync(DockerCredentialHelper helper, string key, CancellationToken cancellationToken)
    {
        var cacheKey = helper.Name + "\n" + key;
        var now = Stopwatch.GetTimestamp();
        Task<RegistryCredential?> answer;
        lock (_answers)
        {
            // One helper run however many requests ask at once; a failed run is not reused.
            if (!_answers.TryGetValue(cacheKey, out var cached) || cached.ExpiresAt < now || cached.Answer.IsFaulted || cached.Answer.IsCanceled)
            {
                cached = new CachedAnswer(helper.GetAsync(key, CancellationToken.None),
                    now + (long)(HelperAnswerLifetime.TotalSeconds * Stopwatch.Frequency));
                _answers[cacheKey] = cached;
            }
            answer = cached.Answer;
        }
        // The run itself is bounded by HelperTimeout; a caller giving up only stops waiting for it.
        return answer.WaitAsync(cancellationToken);
    }

    private void Forget(DockerCredentialHelper helper, string key)
    {
        lock (_answers) _answers.Remove(helper.Name + "\n" + key);
    }

    /// <summary>credHelpers[key] (exact key first, as docker; then any spelling of the same host), else credsStore.</summary>
    private DockerCredentialHelper? HelperFor(JsonObject? root, string registry)
    {
        if (root is null) return null;
        var key = ServerAddressFor(registry);
        if (root["credHelpers"] is JsonObject helpers)
        {
            var entry = helpers.FirstOrDefault(pair => pair.Key == key);
            if (entry.Key is null) entry = helpers.FirstOrDefault(pair => NormalizeKey(pair.Key) == NormalizeKey(registry));
            if (entry.Key is not null)
            {
                var name = StringOf(entry.Value);
                // An empty helper name keeps this registry in auths even when credsStore is set (docker does the same).
                return string.IsNullOrEmpty(name) ? null : NewHelper(name, $"credHelpers[\"{entry.Key}\"]");
            }
        }
        return StringOf(root["credsStore"]) is { Length: > 0 } store ? NewHelper(store, "credsStore") : null;
    }

    private DockerCredentialHelper NewHelper(string name, string configuredBy)
    {
        // docker runs "docker-credential-" + name; a name with a path in it would run a program from
        // anywhere the config file's author chose, so it is refused rather than resolved.
        if (name.IndexOfAny(['/', '\\']) >= 0 || name.Contains("..", StringComparison.Ordinal))
        {
            throw new CredentialHelperException(DockerCredentialHelper.ProgramPrefix + name,
                $"'{name}' in {configuredBy} of {ConfigFile} is not a credential helper name");
        }
        return new DockerCredentialHelper(name, configuredBy, HelperSearchPath, HelperTimeout);
    }

    private static RegistryCredential? FromAuths(JsonObject? root, string registry)
    {
        if (root?["auths"] is not JsonObject auths) return null;
        var key = ServerAddressFor(registry);
        // The exact key first, then any other spelling of the same host (docker's legacy-key fallback).
        var entries = auths.Where(pair => pair.Key == key)
            .Concat(auths.Where(pair => pair.Key != key && NormalizeKey(pair.Key) == NormalizeKey(registry)));
        foreach (var (_, entry) in entries)
        {
            if (entry is not JsonObject fields) continue;
            // docker saves an identity token with the user name but no password in "auth"; the token is what works.
            if (StringOf(fields["identitytoken"]) is { Length: > 0 } token) return RegistryCredential.FromIdentityToken(token);
            if (StringOf(fields["auth"]) is { Length: > 0 } encoded && Decode(encoded) is { } fromAuth) return fromAuth;
            if (StringOf(fields["username"]) is { } user && StringOf(fields["password"]) is { } password) return new RegistryCredential(user, password);
        }
        return null;
    }

    private static string? StringOf(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static bool RemoveMatching(JsonObject auths, string registry)
    {
        var keys = auths.Select(pair => pair.Key).Where(key => NormalizeKey(key) == NormalizeKey(registry)).ToList();
        foreach (var key in keys) auths.Remove(key);
        return keys.Count > 0;
    }

    private JsonObject? Load()
    {
        if (!File.Exists(ConfigFile)) return null;
        var text = File.ReadAllText(ConfigFile);
        return string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text) as JsonObject;
    }

    private void Save(JsonObject root)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(ConfigFile))!);
        // Write beside the file and rename, so a crash never leaves a truncated config behind.
        var temporary = ConfigFile + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.UTF8.GetBytes(root.ToJsonString(Indented)));
        }
        File.Move(temporary, ConfigFile, overwrite: true);
    }

    private static RegistryCredential? Decode(string encoded)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            var colon = text.IndexOf(':');
            return colon < 0 ? null : new RegistryCredential(text[..colon], text[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>docker/cli ConvertToHostname: the key without scheme and path ("https://host:5000/v2/" is "host:5000").</summary>
    private static string Hostname(string key)
    {
        var text = key.Trim();
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) text = text[(scheme + 3)..];
        var slash = text.IndexOf('/');
        return slash >= 0 ? text[..slash] : text;
    }

    /// <summary>Entries may be written as "https://host/v1/" (docker's Hub key) or a bare host; Docker Hub has several names.</summary>
    private static string NormalizeKey(string key)
    {
        var text = Hostname(key).ToLowerInvariant();
        return text is "index.docker.io" or "registry-1.docker.io" ? "docker.io" : text;
    }

    private sealed record CachedAnswer(Task<RegistryCredential?> Answer, long ExpiresAt);
}
