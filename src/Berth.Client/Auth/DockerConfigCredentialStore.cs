using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Berth.Client.Auth;

/// <summary>
/// The <c>auths</c> section of docker's config.json, which docker, podman, oras, crane and skopeo all
/// read: <c>{"auths": {"host:port": {"auth": base64("user:password")}}}</c>. Other sections and other
/// fields of an entry are kept untouched on write. Credential helpers (<c>credsStore</c>) are not run.
/// </summary>
public sealed class DockerConfigCredentialStore : ICredentialProvider
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public DockerConfigCredentialStore(string configFile) => ConfigFile = configFile;

    public string ConfigFile { get; }

    /// <summary>$DOCKER_CONFIG/config.json, else ~/.docker/config.json (docker's own lookup order).</summary>
    public static DockerConfigCredentialStore Default(string? configDirectory = null)
    {
        var directory = configDirectory
            ?? Environment.GetEnvironmentVariable("DOCKER_CONFIG")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".docker");
        return new DockerConfigCredentialStore(Path.Combine(directory, "config.json"));
    }

    public ValueTask<RegistryCredential?> GetCredentialAsync(string registry, CancellationToken cancellationToken)
    {
        var auths = Load()?["auths"] as JsonObject;
        if (auths is null) return ValueTask.FromResult<RegistryCredential?>(null);
        foreach (var (key, entry) in auths)
        {
            if (NormalizeKey(key) != NormalizeKey(registry)) continue;
            if (entry?["auth"]?.GetValue<string>() is { Length: > 0 } encoded && Decode(encoded) is { } fromAuth)
            {
                return ValueTask.FromResult<RegistryCredential?>(fromAuth);
            }
            if (entry?["username"]?.GetValue<string>() is { } user && entry["password"]?.GetValue<string>() is { } password)
            {
                return ValueTask.FromResult<RegistryCredential?>(new RegistryCredential(user, password));
            }
        }
        return ValueTask.FromResult<RegistryCredential?>(null);
    }

    /// <summary>Adds or replaces the entry for the registry, creating the file (mode 600) if needed.</summary>
    public void Store(string registry, RegistryCredential credential)
    {
        var root = Load() ?? new JsonObject();
        if (root["auths"] is not JsonObject auths)
        {
            auths = new JsonObject();
            root["auths"] = auths;
        }
        RemoveMatching(auths, registry);
        auths[registry] = new JsonObject
        {
            ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.Username}:{credential.Password}")),
        };
        Save(root);
    }

    /// <summary>Removes the registry's entry; returns whether there was one.</summary>
    public bool Remove(string registry)
    {
        var root = Load();
        if (root?["auths"] is not JsonObject auths || !RemoveMatching(auths, registry)) return false;
        Save(root);
        return true;
    }

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

    /// <summary>Entries may be written as "https://host/v1/" (docker's Hub key) or a bare host.</summary>
    private static string NormalizeKey(string key)
    {
        var text = key.Trim();
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) text = text[(scheme + 3)..];
        var slash = text.IndexOf('/');
        if (slash >= 0) text = text[..slash];
        text = text.ToLowerInvariant();
        return text is "index.docker.io" or "registry-1.docker.io" ? "docker.io" : text;
    }
}
