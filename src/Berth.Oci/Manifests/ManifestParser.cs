using System.Text.Json;
using Berth.Oci.Digests;
using Berth.Oci.Errors;

namespace Berth.Oci.Manifests;

/// <summary>
/// Validates a pushed manifest (image-spec manifest.md / image-index.md, Docker schema 2) without
/// altering it: the registry stores the exact bytes and only extracts what it must check and index.
/// </summary>
public static class ManifestParser
{
    /// <summary>distribution-spec "Pushing Manifests": registries SHOULD accept at least 4 MiB.</summary>
    public const int MaxManifestBytes = 4 * 1024 * 1024;

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64 };

    /// <summary>Returns the parsed manifest, or null with <paramref name="error"/> saying why it was refused.</summary>
    public static ParsedManifest? Parse(ReadOnlyMemory<byte> body, string? contentType, out RegistryError? error)
    {
        error = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, Options);
        }
        catch (JsonException e)
        {
            error = RegistryError.ManifestInvalid($"manifest is not well-formed JSON: {e.Message}");
            return null;
        }

        using (document)
        {
            return Parse(document.RootElement, MediaTypes.Essence(contentType), out error);
        }
    }

    private static ParsedManifest? Parse(JsonElement root, string contentType, out RegistryError? error)
    {
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = RegistryError.ManifestInvalid("manifest must be a JSON object");
            return null;
        }

        string? bodyMediaType = null;
        if (root.TryGetProperty("mediaType", out var mediaTypeElement))
        {
            if (mediaTypeElement.ValueKind != JsonValueKind.String)
            {
                error = RegistryError.ManifestInvalid("mediaType must be a string");
                return null;
            }
            bodyMediaType = mediaTypeElement.GetString();
        }

        // image-spec: the mediaType field, when present, must match the Content-Type the manifest is
        // pushed with, or a client could serve one type under another's name.
        if (bodyMediaType is not null && contentType.Length > 0 && bodyMediaType != contentType)
        {
            error = RegistryError.ManifestInvalid($"mediaType '{bodyMediaType}' does not match Content-Type '{contentType}'");
            return null;
        }

        var mediaType = bodyMediaType ?? (contentType.Length > 0 ? contentType : InferMediaType(root));
        if (!MediaTypes.IsKnownManifest(mediaType))
        {
            error = RegistryError.ManifestInvalid($"unsupported manifest media type '{mediaType}'");
            return null;
        }

        if (!root.TryGetProperty("schemaVersion", out var schemaVersion)
            || schemaVersion.ValueKind != JsonValueKind.Number
            || !schemaVersion.TryGetInt32(out var version) || version != 2)
        {
            error = RegistryError.ManifestInvalid("schemaVersion must be 2");
            return null;
        }

        var blobs = new List<Digest>();
        var manifests = new List<Digest>();
        string? artifactType = null;

        if (root.TryGetProperty("artifactType", out var artifactTypeElement))
        {
            if (artifactTypeElement.ValueKind != JsonValueKind.String || !MediaTypes.IsWellFormed(artifactTypeElement.GetString()))
            {
                error = RegistryError.ManifestInvalid("artifactType must be a media type");
                return null;
            }
            artifactType = artifactTypeElement.GetString();
        }

        if (MediaTypes.IsIndex(mediaType))
        {
            if (!root.TryGetProperty("manifests", out var children) || children.ValueKind != JsonValueKind.Array)
            {
                error = RegistryError.ManifestInvalid("an index must have a manifests array");
                return null;
            }
            foreach (var child in children.EnumerateArray())
            {
                var descriptor = ReadDescriptor(child, "manifests[]", out error);
                if (descriptor is null) return null;
                manifests.Add(descriptor.Value.Digest);
            }
        }
        else
        {
            if (!root.TryGetProperty("config", out var config))
            {
                error = RegistryError.ManifestInvalid("an image manifest must have a config descriptor");
                return null;
            }
            var configDescriptor = ReadDescriptor(config, "config", out error);
            if (configDescriptor is null) return null;
            blobs.Add(configDescriptor.Value.Digest);
            artifactType ??= configDescriptor.Value.MediaType;

            if (!root.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
            {
                error = RegistryError.ManifestInvalid("an image manifest must have a layers array");
                return null;
            }
            foreach (var layer in layers.EnumerateArray())
            {
                var descriptor = ReadDescriptor(layer, "layers[]", out error);
                if (descriptor is null) return null;
                if (!MediaTypes.IsForeignLayer(descriptor.Value.MediaType)) blobs.Add(descriptor.Value.Digest);
            }
        }

        Digest? subject = null;
        if (root.TryGetProperty("subject", out var subjectElement) && subjectElement.ValueKind != JsonValueKind.Null)
        {
            var descriptor = ReadDescriptor(subjectElement, "subject", out error);
            if (descriptor is null) return null;
            subject = descriptor.Value.Digest;
        }

        SortedDictionary<string, string>? annotations = null;
        if (root.TryGetProperty("annotations", out var annotationsElement) && annotationsElement.ValueKind != JsonValueKind.Null)
        {
            if (annotationsElement.ValueKind != JsonValueKind.Object)
            {
                error = RegistryError.ManifestInvalid("annotations must be an object of strings");
                return null;
            }
            annotations = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in annotationsElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    error = RegistryError.ManifestInvalid("annotations must be an object of strings");
                    return null;
                }
                annotations[property.Name] = property.Value.GetString()!;
            }
        }

        return new ParsedManifest
        {
            MediaType = mediaType,
            Blobs = blobs,
            Manifests = manifests,
            Subject = subject,
            ArtifactType = artifactType,
            Annotations = annotations,
        };
    }

    /// <summary>Without mediaType or Content-Type, the shape decides (image-spec allows omitting mediaType).</summary>
    private static string InferMediaType(JsonElement root) =>
        root.TryGetProperty("manifests", out _) ? MediaTypes.OciIndex : MediaTypes.OciManifest;

    private static (string MediaType, Digest Digest)? ReadDescriptor(JsonElement element, string where, out RegistryError? error)
    {
        error = null;
        if (element.ValueKind != JsonValueKind.Object)
        {
            error = RegistryError.ManifestInvalid($"{where} must be a descriptor object");
            return null;
        }
        if (!element.TryGetProperty("mediaType", out var mediaType) || mediaType.ValueKind != JsonValueKind.String
            || !MediaTypes.IsWellFormed(mediaType.GetString()))
        {
            error = RegistryError.ManifestInvalid($"{where} has no valid mediaType");
            return null;
        }
        if (!element.TryGetProperty("digest", out var digestElement) || digestElement.ValueKind != JsonValueKind.String
            || !Digest.TryParse(digestElement.GetString(), out var digest))
        {
            error = RegistryError.ManifestInvalid($"{where} has no valid digest");
            return null;
        }
        if (!element.TryGetProperty("size", out var size) || size.ValueKind != JsonValueKind.Number
            || !size.TryGetInt64(out var length) || length < 0)
        {
            error = RegistryError.ManifestInvalid($"{where} has no valid size");
            return null;
        }
        return (mediaType.GetString()!, digest);
    }
}
