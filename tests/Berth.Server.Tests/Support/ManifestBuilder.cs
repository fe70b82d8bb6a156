using System.Net;
using System.Text.Json.Nodes;
using static Berth.Server.Tests.Support.RegistryContent;

namespace Berth.Server.Tests.Support;

/// <summary>Pushes the blobs and manifests that <see cref="OciContent"/> builds, and checks what the server serves back.</summary>
public static class ManifestBuilder
{
    /// <summary>Pushes a blob (monolithic POST) and returns its descriptor.</summary>
    public static async Task<JsonObject> PushBlobDescriptorAsync(this HttpClient client, string name, byte[] content, string mediaType,
        bool sha512 = false)
    {
        var digest = await client.PushBlobAsync(name, content, sha512 ? Sha512(content) : Sha256(content));
        return Descriptor(mediaType, digest, content.Length);
    }

    /// <summary>Pushes a config and one layer, both distinct per seed, and returns an image manifest using them.</summary>
    public static async Task<JsonObject> PushImageBlobsAsync(this HttpClient client, string name, int seed, bool sha512 = false,
        string? mediaType = MediaTypes.OciManifest, string configType = MediaTypes.OciConfig, string layerType = MediaTypes.OciLayer)
    {
        var config = await client.PushBlobDescriptorAsync(name, Config(seed),
            configType, sha512);
        var layer = await client.PushBlobDescriptorAsync(name, RandomBytes(100 + seed % 50, seed), layerType, sha512);
        return ImageManifest(config, [layer], mediaType);
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
