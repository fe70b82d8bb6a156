namespace Berth.Server.Responses;

/// <summary>The Cache-Control of registry responses.</summary>
internal static class CacheControlValues
{
    /// <summary>By-digest content never changes (RFC 9111 §5.2.2.1, RFC 8246 immutable).</summary>
    public const string Immutable = "max-age=31536000, immutable";

    /// <summary>A tag may move at any time: revalidate every use. no-transform keeps the strong ETag true.</summary>
    public const string Revalidate = "no-cache, no-transform";
}
