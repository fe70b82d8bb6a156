using System.Net;
using System.Net.Http.Headers;

namespace Berth.Operations.Tests;

/// <summary>Pushes over HTTP, as a client does, so the requests go through every middleware and are counted.</summary>
internal static class HttpPushes
{
    public static async Task<TestImage> PushAsync(HttpClient http, string name, string tag, int seed)
    {
        var image = TestImage.Create(OciContent.Config(seed), OciContent.RandomBytes(64, seed));
        foreach (var (digest, content) in image.Blobs)
        {
            using var blob = await http.PostAsync($"/v2/{name}/blobs/uploads/?digest={digest}", new ByteArrayContent(content));
            Assert.Equal(HttpStatusCode.Created, blob.StatusCode);
        }
        using var manifest = await PutManifestAsync(http, name, tag, image);
        Assert.Equal(HttpStatusCode.Created, manifest.StatusCode);
        return image;
    }

    public static Task<HttpResponseMessage> PutManifestAsync(HttpClient http, string name, string tag, TestImage image, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/{name}/manifests/{tag}") { Content = new ByteArrayContent(image.Manifest) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(image.MediaType);
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return http.SendAsync(request);
    }
}
