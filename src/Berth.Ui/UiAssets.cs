using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Berth.Ui;

/// <summary>The stylesheet, script and icon, embedded in the assembly so the binary serves them with no files beside it.</summary>
internal static class UiAssets
{
    private sealed record Asset(byte[] Content, string ContentType, string ETag);

    private static readonly FrozenDictionary<string, Asset> Assets = Load();

    /// <summary>A value that changes with the assets, appended to their URLs so browsers may cache them for long.</summary>
    public static string Version { get; } = Convert.ToHexString(SHA256.HashData(
        Assets.OrderBy(a => a.Key, StringComparer.Ordinal).SelectMany(a => a.Value.Content).ToArray()), 0, 6).ToLowerInvariant();

    public static string Url(string file) => $"{BerthUiExtensions.PathPrefix}/assets/{file}?v={Version}";

    public static IResult Serve(HttpContext context, string file)
    {
        if (!Assets.TryGetValue(file, out var asset)) return Results.NotFound();
        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        context.Response.Headers.ETag = asset.ETag;
        if (context.Request.Headers.IfNoneMatch == asset.ETag) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        const string prefix = "Berth.Ui.Assets.";
        var assembly = typeof(UiAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var file = name[prefix.Length..];
            var type = Path.GetExtension(file) switch
            {
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            assets[file] = new Asset(content, type, $"\"{Convert.ToHexString(SHA256.HashData(content), 0, 8)}\"");
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
