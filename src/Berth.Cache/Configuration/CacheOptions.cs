namespace Berth.Cache.Configuration;

/// <summary>The pull-through cache: upstream registries, each under its own local prefix. Empty: no cache.</summary>
public sealed record CacheOptions
{
    public IReadOnlyList<UpstreamOptions> Upstreams { get; init; } = [];
}
