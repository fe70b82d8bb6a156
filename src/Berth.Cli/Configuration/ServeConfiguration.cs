using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Registry;
using Berth.Registry.Policies;
using Berth.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.Cli.Configuration;

/// <summary>
/// Settings of <c>berth serve</c>, layered: built-in defaults, then the config file, then BERTH_*
/// environment variables, then command-line flags (the most specific wins).
/// </summary>
public sealed class ServeConfiguration
{
    [JsonPropertyName("listen")] public string? Listen { get; set; }
    [JsonPropertyName("data")] public string? Data { get; set; }
    [JsonPropertyName("logLevel")] public string? LogLevel { get; set; }
    [JsonPropertyName("uploadIdleExpiry")] public TimeSpan? UploadIdleExpiry { get; set; }
    [JsonPropertyName("maxBlobBytes")] public long? MaxBlobBytes { get; set; }
    [JsonPropertyName("announceConditionalRequests")] public bool? AnnounceConditionalRequests { get; set; }
    [JsonPropertyName("policies")] public List<RepositoryPolicy>? Policies { get; set; }

    private static readonly JsonSerializerOptions FileOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static ServeConfiguration FromFile(string path)
    {
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<ServeConfiguration>(stream, FileOptions)
               ?? throw new InvalidDataException($"{path} is empty");
    }

    public static ServeConfiguration FromEnvironment(Func<string, string?> read) => new()
    {
        Listen = read("BERTH_LISTEN"),
        Data = read("BERTH_DATA"),
        LogLevel = read("BERTH_LOG_LEVEL"),
        UploadIdleExpiry = read("BERTH_UPLOAD_IDLE_EXPIRY") is { } expiry ? TimeSpan.Parse(expiry, System.Globalization.CultureInfo.InvariantCulture) : null,
        MaxBlobBytes = read("BERTH_MAX_BLOB_BYTES") is { } max ? long.Parse(max, System.Globalization.CultureInfo.InvariantCulture) : null,
        AnnounceConditionalRequests = read("BERTH_ANNOUNCE_CONDITIONAL_REQUESTS") is { } announce ? bool.Parse(announce) : null,
    };

    /// <summary>Values set in <paramref name="over"/> replace those here.</summary>
    public ServeConfiguration Overlay(ServeConfiguration over) => new()
    {
        Listen = over.Listen ?? Listen,
        Data = over.Data ?? Data,
        LogLevel = over.LogLevel ?? LogLevel,
        UploadIdleExpiry = over.UploadIdleExpiry ?? UploadIdleExpiry,
        MaxBlobBytes = over.MaxBlobBytes ?? MaxBlobBytes,
        AnnounceConditionalRequests = over.AnnounceConditionalRequests ?? AnnounceConditionalRequests,
        Policies = over.Policies ?? Policies,
    };

    public ServerOptions ToServerOptions()
    {
        var defaults = new ServerOptions();
        var registryDefaults = new RegistryOptions();
        return defaults with
        {
            Listen = Listen ?? defaults.Listen,
            LogLevel = LogLevel is null ? defaults.LogLevel : Enum.Parse<LogLevel>(LogLevel, ignoreCase: true),
            AnnounceConditionalRequests = AnnounceConditionalRequests ?? defaults.AnnounceConditionalRequests,
            Registry = registryDefaults with
            {
                DataDirectory = Data ?? "berth-data",
                UploadIdleExpiry = UploadIdleExpiry ?? registryDefaults.UploadIdleExpiry,
                MaxBlobBytes = MaxBlobBytes ?? registryDefaults.MaxBlobBytes,
                Policies = Policies ?? [],
            },
        };
    }
}
