using System.Text.Json.Nodes;

namespace Berth.Client.Content;

/// <summary>The platform of an index entry (image-spec image-index.md "platform"): os/architecture[/variant].</summary>
public sealed record Platform(string Os, string Architecture, string? Variant = null)
{
    public static Platform Parse(string text) =>
        TryParse(text, out var platform) ? platform! : throw new FormatException($"'{text}' is not a platform; expected os/architecture[/variant]");

    public static bool TryParse(string? text, out Platform? platform)
    {
        platform = null;
        var parts = text?.Split('/') ?? [];
        if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0)) return false;
        platform = new Platform(parts[0], parts[1], parts.Length == 3 ? parts[2] : null);
        return true;
    }

    /// <summary>Reads "os", "architecture" and "variant" from a platform object or an image config.</summary>
    public static Platform? FromJson(JsonNode? node)
    {
        if (node is not JsonObject json) return null;
        var os = json["os"]?.GetValue<string>();
        var architecture = json["architecture"]?.GetValue<string>();
        return os is null || architecture is null ? null : new Platform(os, architecture, json["variant"]?.GetValue<string>());
    }

    public JsonObject ToJson()
    {
        var json = new JsonObject { ["architecture"] = Architecture, ["os"] = Os };
        if (Variant is not null) json["variant"] = Variant;
        return json;
    }

    public override string ToString() => Variant is null ? $"{Os}/{Architecture}" : $"{Os}/{Architecture}/{Variant}";
}
