using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Berth.Server.Tests.Support;

/// <summary>Test content pushed through the real HTTP API: blobs, image manifests, indexes.</summary>
public static class RegistryContent
{
    public const string ImageManifestType = "application/vnd.oci.image.manifest.v1+json";
    public const string IndexType = "application/vnd.oci.image.index.v1+json";
    public const string ConfigType = "application/vnd.oci.image.config.v1+json";
    public const string LayerType = "application/vnd.oci.image.layer.v1.tar";

    public static string Sha256(byte[] content) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(content));

    public static string Sha512(byte[] content) => "sha512:" + Convert.ToHexStringLower(SHA512.HashData(content));

    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Monolithic POST ?digest=; asserts 201.</summary>
    public static async Task<string> PushBlobAsync(this HttpClient client, string name, byte[] content, string? digest = null)
    {
        digest ??= Sha256(content);
        using var body = new ByteArrayContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await client.PostAsync($"/v2/{name}/blobs/uploads/?digest={digest}", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return digest;
    }

    public static JsonObject Descriptor(string mediaType, string digest, long size) =>
        new() { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = size };

    /// <summary>Pushes a config and one layer, and returns an image manifest body referring to them.</summary>
    public static async Task<byte[]> PushImageContentAsync(this HttpClient client, string name, int seed,
        string? subject = null, string? artifactType = null, Dictionary<string, string>? annotations = null)
    {
        var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":{seed}}}");
        var layer = RandomBytes(64 + seed % 32, seed);
        var configDigest = await client.PushBlobAsync(name, config);
        var layerDigest = await client.PushBlobAsync(name, layer);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ImageManifestType,
            ["config"] = Descriptor(ConfigType, configDigest, config.Length),
            ["layers"] = new JsonArray(Descriptor(LayerType, layerDigest, layer.Length)),
        };
        if (artifactType is not null) manifest["artifactType"] = artifactType;
        if (subject is not null) manifest["subject"] = Descriptor(ImageManifestType, subject, 123);
        if (annotations is not null)
        {
            var node = new JsonObject();
            foreach (var (key, value) in annotations) node[key] = value;
            manifest["annotations"] = node;
        }
        return Encoding.UTF8.GetBytes(manifest.ToJsonString());
    }

    public static async Task<HttpResponseMessage> PutManifestAsync(this HttpClient client, string name, string reference, byte[] manifest,
        string mediaType = ImageManifestType, Action<HttpRequestHeaders>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/{name}/manifests/{reference}");
        request.Content = new ByteArrayContent(manifest);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        headers?.Invoke(request.Headers);
        return await client.SendAsync(request);
    }

    /// <summary>Pushes an image and tags it; returns the manifest digest.</summary>
    public static async Task<string> PushImageAsync(this HttpClient client, string name, string tag, int seed)
    {
        var manifest = await client.PushImageContentAsync(name, seed);
        using var response = await client.PutManifestAsync(name, tag, manifest);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return Sha256(manifest);
    }

    /// <summary>Sends a request with raw header lines, bypassing HttpClient's header validation.</summary>
    public static async Task<HttpResponseMessage> SendAsync(this HttpClient client, HttpMethod method, string path,
        IEnumerable<(string Name, string Value)>? headers = null, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        foreach (var (headerName, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(headerName, value);
        }
        return await client.SendAsync(request);
    }

    public static string Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values)
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? string.Join(", ", contentValues)
        : "";
}
