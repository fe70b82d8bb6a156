using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using static Berth.Server.Tests.Support.RegistryContent;

namespace Berth.Server.Tests.Support;

/// <summary>Builds manifests and indexes as JSON, and pushes the blobs and manifests they refer to.</summary>
public static class ManifestBuilder
{
    public const string EmptyType = "application/vnd.oci.empty.v1+json";
    public const string DockerManifestType = "application/vnd.docker.distribution.manifest.v2+json";
    public const string DockerManifestListType = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerConfigType = "application/vnd.docker.container.image.v1+json";
    public const string DockerLayerType = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /// <summary>The image spec's empty descriptor content, "{}".</summary>
    public static readonly byte[] EmptyJson = "{}"u8.ToArray();

    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    public static JsonObject Image(JsonObject config, IEnumerable<JsonObject> layers, string? mediaType = ImageManifestType)
    {
        var manifest = new JsonObject { ["schemaVersion"] = 2 };
        if (mediaType is not null) manifest["mediaType"] = mediaType;
        manifest["config"] = Detached(config);
        manifest["layers"] = new JsonArray([.. layers.Select(Detached)]);
        return manifest;
    }

    public static JsonObject Index(IEnumerable<JsonObject> manifests, string? mediaType = IndexType)
    {
        var index = new JsonObject { ["schemaVersion"] = 2 };
        if (mediaType is not null) index["mediaType"] = mediaType;
        index["manifests"] = new JsonArray([.. manifests.Select(Detached)]);
        return index;
    }

    /// <summary>A node can belong to one document only; descriptors used twice are copied.</summary>
    private static JsonNode Detached(JsonObject node) => node.Parent is null ? node : node.DeepClone();

    /// <summary>Pushes a blob (monolithic POST) and returns its descriptor.</summary>
    public static async Task<JsonObject> PushBlobDescriptorAsync(this HttpClient client, string name, byte[] content, string mediaType,
        bool sha512 = false)
    {
        var digest = await client.PushBlobAsync(name, content, sha512 ? Sha512(content) : Sha256(content));
        return Descriptor(mediaType, digest, content.Length);
    }

    /// <summary>Pushes a config and one layer, both distinct per seed, and returns an image manifest using them.</summary>
    public static async Task<JsonObject> PushImageBlobsAsync(this HttpClient client, string name, int seed, bool sha512 = false,
        string? mediaType = ImageManifestType, string configType = ConfigType, string layerType = LayerType)
    {
        var config = await client.PushBlobDescriptorAsync(name, Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":{seed}}}"),
            configType, sha512);
        var layer = await client.PushBlobDescriptorAsync(name, RandomBytes(100 + seed % 50, seed), layerType, sha512);
        return Image(config, [layer], mediaType);
    }

    /// <summary>PUTs a manifest, asserts 201, and returns its descriptor (digest of the exact bytes).</summary>
    public static async Task<JsonObject> PushManifestAsync(this HttpClient client, string name, byte[] body, string mediaType,
        string? tag = null, bool sha512 = false)
    {
        var digest = sha512 ? Sha512(body) : Sha256(body);
        using var response = await client.PutManifestAsync(name, tag ?? digest, body, mediaType);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        return Descriptor(mediaType, digest, body.Length);
    }

    public static Task<JsonObject> PushManifestAsync(this HttpClient client, string name, JsonObject manifest, string? tag = null,
        bool sha512 = false) =>
        client.PushManifestAsync(name, Bytes(manifest), manifest["mediaType"]!.GetValue<string>(), tag, sha512);

    public static string DigestOf(JsonObject descriptor) => descriptor["digest"]!.GetValue<string>();

    /// <summary>Asserts GET returns the manifest exactly: status, Content-Type, Content-Length, digest and bytes.</summary>
    public static async Task AssertManifestAsync(this HttpClient client, string name, string reference, byte[] body, string mediaType)
    {
        using var response = await client.GetAsync($"/v2/{name}/manifests/{reference}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.GetValues("Content-Type").Single());
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Equal(body, await response.Content.ReadAsByteArrayAsync());
        var digest = response.Header("Docker-Content-Digest");
        Assert.Equal(digest.StartsWith("sha512:", StringComparison.Ordinal) ? Sha512(body) : Sha256(body), digest);
    }

    public static async Task AssertManifestAbsentAsync(this HttpClient client, string name, string reference)
    {
        using var response = await client.GetAsync($"/v2/{name}/manifests/{reference}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
