using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Registry;
using Berth.Registry.Policies;
using Berth.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Berth.Cli.Configuration;

/// <summary>
/// Settings of the server-side commands (serve, gc, fsck), layered: built-in defaults, then the config file, then BERTH_*
/// environment variables, then command-line flags (the most specific wins).
/// </summary>
public sealed class BerthConfiguration
{
    [JsonPropertyName("listen")] public string? Listen { get; set; }
    [JsonPropertyName("data")] public string? Data { get; set; }
    [JsonPropertyName("logLevel")] public string? LogLevel { get; set; }
    [JsonPropertyName("uploadIdleExpiry")] public TimeSpan? UploadIdleExpiry { get; set; }
    [JsonPropertyName("maxBlobBytes")] public long? MaxBlobBytes { get; set; }
    [JsonPropertyName("announceConditionalRequests")] public bool? AnnounceConditionalRequests { get; set; }
    [JsonPropertyName("policies")] public List<RepositoryPolicy>? Policies { get; set; }
    [JsonPropertyName("gcInterval")] public TimeSpan? GcInterval { get; set; }
    [JsonPropertyName("gcGracePeriod")] public TimeSpan? GcGracePeriod { get; set; }

    private static readonly JsonSerializerOptions FileOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Config file (if any), then environment, then the given command-line values.</summary>
    public static BerthConfiguration Resolve(string? configFile, BerthConfiguration flags)
    {
        configFile ??= Environment.GetEnvironmentVariable("BERTH_CONFIG");
        var settings = configFile is null ? new BerthConfiguration() : FromFile(configFile);
        return settings.Overlay(FromEnvironment(Environment.GetEnvironmentVariable)).Overlay(flags);
    }

    public static BerthConfiguration FromFile(string path)
    {
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<BerthConfiguration>(stream, FileOptions)
               ?? throw new InvalidDataException($"{path} is empty");
    }

    public static BerthConfiguration FromEnvironment(Func<string, string?> read) => new()
    {
        Listen = read("BERTH_LISTEN"),
        Data = read("BERTH_DATA"),
        LogLevel = read("BERTH_LOG_LEVEL"),
        UploadIdleExpiry = read("BERTH_UPLOAD_IDLE_EXPIRY") is { } expiry ? TimeSpan.Parse(expiry, System.Globalization.CultureInfo.InvariantCulture) : null,
        MaxBlobBytes = read("BERTH_MAX_BLOB_BYTES") is { } max ? long.Parse(max, System.Globalization.CultureInfo.InvariantCulture) : null,
        AnnounceConditionalRequests = read("BERTH_ANNOUNCE_CONDITIONAL_REQUESTS") is { } announce ? bool.Parse(announce) : null,
        GcInterval = read("BERTH_GC_INTERVAL") is { } interval ? TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture) : null,
        GcGracePeriod = read("BERTH_GC_GRACE_PERIOD") is { } grace ? TimeSpan.Parse(grace, System.Globalization.CultureInfo.InvariantCulture) : null,
    };

    /// <summary>Values set in <paramref name="over"/> replace those here.</summary>
    public BerthConfiguration Overlay(BerthConfiguration over) => new()
    {
        Listen = over.Listen ?? Listen,
        Data = over.Data ?? Data,
        LogLevel = over.LogLevel ?? LogLevel,
        UploadIdleExpiry = over.UploadIdleExpiry ?? UploadIdleExpiry,
        MaxBlobBytes = over.MaxBlobBytes ?? MaxBlobBytes,
        AnnounceConditionalRequests = over.AnnounceConditionalRequests ?? AnnounceConditionalRequests,
        Policies = over.Policies ?? Policies,
        GcInterval = over.GcInterval ?? GcInterval,
        GcGracePeriod = over.GcGracePeriod ?? GcGracePeriod,
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
            GarbageCollectionInterval = GcInterval ?? defaults.GarbageCollectionInterval,
            Registry = registryDefaults with
            {
                DataDirectory = Data ?? "berth-data",
                UploadIdleExpiry = UploadIdleExpiry ?? registryDefaults.UploadIdleExpiry,
                MaxBlobBytes = MaxBlobBytes ?? registryDefaults.MaxBlobBytes,
                Policies = Policies ?? [],
                GarbageCollectionGracePeriod = GcGracePeriod ?? registryDefaults.GarbageCollectionGracePeriod,
            },
        };
    }
}
