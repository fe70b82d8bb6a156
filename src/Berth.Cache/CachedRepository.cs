namespace Berth.Cache;

/// <summary>A local repository under an upstream's prefix, and the name it has upstream.</summary>
public sealed record CachedRepository(Upstream Upstream, string LocalName, string RemoteName);
