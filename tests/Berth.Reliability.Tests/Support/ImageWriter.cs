using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Berth.Reliability.Tests.Support;

/// <summary>An image pushed (or being pushed): its manifest and the blobs it needs.</summary>
public sealed record PushedImage(string Repository, string ManifestDigest, byte[] Manifest, IReadOnlyList<(string Digest, byte[] Content)> Blobs);

/// <summary>Pushes small images over HTTP; every call reports only what the server acknowledged.</summary>
public static class ImageWriter
{
    /// <summary>Builds an image with one shared layer and one unique layer; nothing is sent yet.</summary>
    public static PushedImage Compose(string repository, byte[] sharedLayer, Random random)
    {
        var unique = new byte[random.Next(100, 20_000)];
        random.NextBytes(unique);
        var image = TestImage.Create(Encoding.UTF8.GetBytes($"{{\"nonce\":{random.NextInt64()}}}"), sharedLayer, unique);
        return new PushedImage(repository, image.Digest, image.Manifest, image.Blobs);
    }

    public static async Task PushBlobsAsync(HttpClient client, PushedImage image)
    {
        foreach (var (digest, content) in image.Blobs)
        {
            using var body = new ByteArrayContent(content);
            using var response = await client.PostAsync($"/v2/{image.Repository}/blobs/uploads/?digest={digest}", body);
            if (response.StatusCode != HttpStatusCode.Created) throw new HttpRequestException($"blob push: {(int)response.StatusCode}");
        }
    }

    public static async Task<HttpStatusCode> PutManifestAsync(HttpClient client, PushedImage image, string tag)
    {
        using var body = new ByteArrayContent(image.Manifest);
        body.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.OciManifest);
        using var response = await client.PutAsync($"/v2/{image.Repository}/manifests/{tag}", body);
        return response.StatusCode;
    }

    public static async Task<HttpStatusCode> DeleteTagAsync(HttpClient client, string repository, string tag)
    {
        using var response = await client.DeleteAsync($"/v2/{repository}/manifests/{tag}");
        return response.StatusCode;
    }

    /// <summary>The digest a tag points at now, or null when the tag does not exist.</summary>
    public static async Task<string?> ResolveAsync(HttpClient client, string repository, string tag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/manifests/{tag}");
        using var response = await client.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }

    /// <summary>Fetches the image's manifest and every blob and checks each against its digest.</summary>
    public static async Task AssertCompleteAsync(HttpClient client, string repository, string manifestDigest)
    {
        var manifest = await client.GetByteArrayAsync($"/v2/{repository}/manifests/{manifestDigest}");
        Assert.Equal(manifestDigest, Sha256(manifest));
        using var document = System.Text.Json.JsonDocument.Parse(manifest);
        var digests = document.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!)
            .Append(document.RootElement.GetProperty("config").GetProperty("digest").GetString()!);
        foreach (var digest in digests)
        {
            var blob = await client.GetByteArrayAsync($"/v2/{repository}/blobs/{digest}");
            Assert.Equal(digest, Sha256(blob));
        }
    }
}
