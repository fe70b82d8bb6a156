using System.Text.Json;
using System.Text.Json.Serialization;
using Berth.Auth;
using Berth.Registry;
using Berth.Registry.Policies;
using Berth.Server.Hosting;
using Berth.Server.Limits;
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
    [JsonPropertyName("auth")] public AuthOptions? Auth { get; set; }
    [JsonPropertyName("tls")] public TlsOptions? Tls { get; set; }
    [JsonPropertyName("rateLimits")] public RateLimitOptions? RateLimits { get; set; }
    [JsonPropertyName("trustedProxies")] public List<string>? TrustedProxies { get; set; }

    // Single settings of the sections above, from the environment or flags; each replaces its key in the file's section.
    [JsonIgnore] public string? Htpasswd { get; set; }
    [JsonIgnore] public string? AuthService { get; set; }
    [JsonIgnore] public string? AuthRealm { get; set; }
    [JsonIgnore] public string? TlsCertificate { get; set; }
    [JsonIgnore] public string? TlsKey { get; set; }
    [JsonIgnore] public int? RateLimitPerClient { get; set; }
    [JsonIgnore] public int? RateLimitGlobal { get; set; }

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
        Htpasswd = read("BERTH_HTPASSWD"),
        AuthService = read("BERTH_AUTH_SERVICE"),
        AuthRealm = read("BERTH_AUTH_REALM"),
        TlsCertificate = read("BERTH_TLS_CERT"),
        TlsKey = read("BERTH_TLS_KEY"),
        RateLimitPerClient = read("BERTH_RATE_LIMIT_PER_CLIENT") is { } perClient ? int.Parse(perClient, System.Globalization.CultureInfo.InvariantCulture) : null,
        TrustedProxies = read("BERTH_TRUSTED_PROXIES") is { } proxies
            ? [.. proxies.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)]
            : null,
        RateLimitGlobal = read("BERTH_RATE_LIMIT_GLOBAL") is { } global ? int.Parse(global, System.Globalization.CultureInfo.InvariantCulture) : null,
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
        Auth = over.Auth ?? Auth,
        Tls = over.Tls ?? Tls,
        RateLimits = over.RateLimits ?? RateLimits,
        TrustedProxies = over.TrustedProxies ?? TrustedProxies,
        Htpasswd = over.Htpasswd ?? Htpasswd,
        AuthService = over.AuthService ?? AuthService,
        AuthRealm = over.AuthRealm ?? AuthRealm,
        TlsCertificate = over.TlsCertificate ?? TlsCertificate,
        TlsKey = over.TlsKey ?? TlsKey,
        RateLimitPerClient = over.RateLimitPerClient ?? RateLimitPerClient,
        RateLimitGlobal = over.RateLimitGlobal ?? RateLimitGlobal,
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
            Auth = ResolveAuth(),
            Tls = ResolveTls(),
            RateLimits = ResolveRateLimits(),
            TrustedProxies = TrustedProxies ?? defaults.TrustedProxies,
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

    /// <summary>The file's auth section with single settings applied; a single setting alone turns authentication on.</summary>
    private AuthOptions? ResolveAuth()
    {
        if (Htpasswd is null && AuthService is null && AuthRealm is null) return Auth;
        var auth = Auth ?? new AuthOptions();
        return auth with
        {
            Htpasswd = Htpasswd ?? auth.Htpasswd,
            Service = AuthService ?? auth.Service,
            Realm = AuthRealm ?? auth.Realm,
        };
    }

    private TlsOptions? ResolveTls()
    {
        if (TlsCertificate is null && TlsKey is null) return Tls;
        var tls = Tls ?? new TlsOptions();
        return tls with { Certificate = TlsCertificate ?? tls.Certificate, Key = TlsKey ?? tls.Key };
    }

    private RateLimitOptions? ResolveRateLimits()
    {
        if (RateLimitPerClient is null && RateLimitGlobal is null) return RateLimits;
        var limits = RateLimits ?? new RateLimitOptions();
        return limits with
        {
            PerClient = RateLimitPerClient is { } perClient ? new RateLimit { RequestsPerSecond = perClient } : limits.PerClient,
            Global = RateLimitGlobal is { } global ? new RateLimit { RequestsPerSecond = global } : limits.Global,
        };
    }
}
