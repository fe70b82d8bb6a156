using Berth.Auth;
using Berth.Cache;
using Berth.Events;
using Berth.Registry;

namespace Berth.Server.Hosting;

/// <summary>What a reload changed, and the settings that differ but only take effect at the next start.</summary>
public sealed record ReloadOutcome(IReadOnlyList<string> Applied, IReadOnlyList<string> NeedRestart);

/// <summary>
/// Applies new settings to a running registry. Reloadable: read-only mode, deletes, repository policies, users
/// (htpasswd and config), groups, access rules, the pull-through cache's upstreams and notification endpoints. Everything is prepared first
/// and swapped after, so a bad htpasswd file leaves all of the running configuration as it was. Settings that shape
/// listeners, storage, keys or telemetry are reported as needing a restart.
/// </summary>
public sealed class SettingsReloader(ServerOptions started, BerthRegistry registry, BerthAuth? auth, PullThroughCache? cache,
    RegistryNotifications notifications)
{
    private ServerOptions _current = started;

    public ServerOptions Current => _current;

    public ReloadOutcome Apply(ServerOptions next)
    {
        Configuration.BerthSettings.Validate(next);
        var restart = RestartOnlyDifferences(_current, next);
        var applied = new List<string> { "readOnly", "deletesEnabled", "policies" };
        // Read (and possibly refused) before anything is swapped.
        if (auth is not null && next.Auth is { } nextAuth)
        {
            auth.Reload(nextAuth);
            applied.Add("auth users, groups and access rules");
        }
        if (cache is not null && next.Cache is { Upstreams.Count: > 0 } nextCache)
        {
            cache.Reload(nextCache);
            applied.Add("cache upstreams");
        }
        else if (cache is not null || next.Cache is { Upstreams.Count: > 0 })
        {
            restart.Add("cache (turning the pull-through cache on or off)");
        }
        notifications.Reload(next.Notifications);
        applied.Add("notification endpoints");
        registry.Admission.Apply(next.Registry);
        _current = next;
        return new ReloadOutcome(applied, restart);
    }

    private static List<string> RestartOnlyDifferences(ServerOptions now, ServerOptions next)
    {
        var differences = new List<string>();
        void Compare<T>(string key, T a, T b)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b)) differences.Add(key);
        }
        Compare("listen", now.Listen, next.Listen);
        Compare("dataDirectory", Path.GetFullPath(now.Registry.DataDirectory), Path.GetFullPath(next.Registry.DataDirectory));
        Compare("metadata", now.Registry.Metadata.Kind, next.Registry.Metadata.Kind);
        Compare("storage", now.Registry.Storage.Kind, next.Registry.Storage.Kind);
        Compare("tls", (now.Tls?.Certificate, now.Tls?.Key), (next.Tls?.Certificate, next.Tls?.Key));
        Compare("auth (turning authentication on or off)", now.Auth is null, next.Auth is null);
        Compare("logLevel", now.LogLevel, next.LogLevel);
        Compare("logFormat", now.LogFormat, next.LogFormat);
        Compare("accessLogQueueCapacity", now.AccessLogQueueCapacity, next.AccessLogQueueCapacity);
        Compare("metrics", now.Metrics, next.Metrics);
        Compare("tracing", now.Tracing, next.Tracing);
        return differences;
    }
}
