using System.Net;
using System.Net.Http.Headers;

namespace Berth.Server.Tests.Support;

/// <summary>Test content pushed through the real HTTP API: blobs, image manifests, indexes.</summary>
public static class RegistryContent
{
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

    /// <summary>Pushes every blob of <paramref name="image"/> (monolithic POSTs, each asserted 201).</summary>
    public static async Task PushBlobsAsync(this HttpClient client, string name, TestImage image)
    {
        foreach (var (digest, content) in image.Blobs) await client.PushBlobAsync(name, content, digest);
    }

    /// <summary>Pushes a config and one layer, and returns an image manifest body referring to them.</summary>
    public static async Task<byte[]> PushImageContentAsync(this HttpClient client, string name, int seed,
        string? subject = null, string? artifactType = null, Dictionary<string, string>? annotations = null)
    {
        var image = TestImage.Create(Config(seed), [RandomBytes(64 + seed % 32, seed)],
            subject is null ? null : Descriptor(MediaTypes.OciManifest, subject, 123), artifactType, annotations);
        await client.PushBlobsAsync(name, image);
        return image.Manifest;
    }

    public static async Task<HttpResponseMessage> PutManifestAsync(this HttpClient client, string name, string reference, byte[] manifest,
        string mediaType = MediaTypes.OciManifest, Action<HttpRequestHeaders>? headers = null)
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
