using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Berth.ScaleOut.Tests.Support;

/// <summary>A manifest as read: its status, bytes, entity tag and digest header.</summary>
public sealed record ManifestRead(HttpStatusCode Status, byte[] Body, EntityTagHeaderValue? ETag, string? Digest);

/// <summary>The OCI distribution calls the tests make, over plain HTTP, reporting what the server answered.</summary>
public static class RegistryCalls
{
    public static async Task<HttpStatusCode> PushBlobAsync(HttpClient client, string repository, byte[] content)
    {
        using var body = new ByteArrayContent(content);
        using var response = await client.PostAsync($"/v2/{repository}/blobs/uploads/?digest={Sha256(content)}", body);
        return response.StatusCode;
    }

    /// <summary>Pushes the image's blobs, each on its own, stopping at the first that is not acknowledged.</summary>
    public static async Task<HttpStatusCode> PushBlobsAsync(HttpClient client, string repository, TestImage image)
    {
        foreach (var (_, content) in image.Blobs)
        {
            var status = await PushBlobAsync(client, repository, content);
            if (status != HttpStatusCode.Created) return status;
        }
        return HttpStatusCode.Created;
    }

    public static async Task<HttpResponseMessage> PutManifestAsync(HttpClient client, string repository, string reference, byte[] manifest,
        string mediaType = MediaTypes.OciManifest, Action<HttpRequestHeaders>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v2/{repository}/manifests/{reference}") { Content = new ByteArrayContent(manifest) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        headers?.Invoke(request.Headers);
        return await client.SendAsync(request);
    }

    public static async Task<HttpStatusCode> PutManifestStatusAsync(HttpClient client, string repository, string reference, byte[] manifest,
        string mediaType = MediaTypes.OciManifest, Action<HttpRequestHeaders>? headers = null)
    {
        using var response = await PutManifestAsync(client, repository, reference, manifest, mediaType, headers);
        return response.StatusCode;
    }

    public static async Task<ManifestRead> GetManifestAsync(HttpClient client, string repository, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}");
        request.Headers.Accept.ParseAdd(MediaTypes.OciManifest);
        request.Headers.Accept.ParseAdd(MediaTypes.OciIndex);
        using var response = await client.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.Single() : null;
        return new ManifestRead(response.StatusCode, body, response.Headers.ETag, digest);
    }

    public static async Task<IReadOnlyList<string>> TagsAsync(HttpClient client, string repository)
    {
        using var response = await client.GetAsync($"/v2/{repository}/tags/list?n=100000");
        if (response.StatusCode == HttpStatusCode.NotFound) return [];
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        return document.RootElement.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Array
            ? [.. tags.EnumerateArray().Select(tag => tag.GetString()!)]
            : [];
    }

    public static async Task<IReadOnlyList<string>> RepositoriesAsync(HttpClient client)
    {
        var json = await client.GetByteArrayAsync("/v2/_catalog?n=100000");
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.GetProperty("repositories").EnumerateArray().Select(name => name.GetString()!)];
    }

    /// <summary>
    /// Fetches a manifest by digest and every blob and child manifest it names, checking each against its
    /// digest: an image (or index) that pulls completely.
    /// </summary>
    public static async Task AssertCompleteAsync(HttpClient client, string repository, string manifestDigest)
    {
        var read = await GetManifestAsync(client, repository, manifestDigest);
        Assert.True(read.Status == HttpStatusCode.OK, $"{repository}@{manifestDigest}: manifest answered {(int)read.Status}");
        Assert.Equal(manifestDigest, Sha256(read.Body));
        using var document = JsonDocument.Parse(read.Body);
        var root = document.RootElement;
        if (root.TryGetProperty("manifests", out var children))
        {
            foreach (var child in children.EnumerateArray()) await AssertCompleteAsync(client, repository, child.GetProperty("digest").GetString()!);
            return;
        }
        var blobs = root.GetProperty("layers").EnumerateArray().Append(root.GetProperty("config")).Select(d => d.GetProperty("digest").GetString()!);
        foreach (var digest in blobs)
        {
            using var response = await client.GetAsync($"/v2/{repository}/blobs/{digest}");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{repository}@{manifestDigest}: blob {digest} answered {(int)response.StatusCode}");
            Assert.Equal(digest, Sha256(await response.Content.ReadAsByteArrayAsync()));
        }
    }

    /// <summary>Asserts an OCI error body (distribution-spec "Error Codes"): JSON with a non-empty errors array, each with a code.</summary>
    public static async Task AssertJsonErrorAsync(HttpResponseMessage response, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/json",
            $"{what}: {(int)response.StatusCode} with content type {response.Content.Headers.ContentType}: {text}");
        using var document = JsonDocument.Parse(text);
        var errors = document.RootElement.GetProperty("errors");
        Assert.True(errors.GetArrayLength() > 0, $"{what}: empty errors array");
        foreach (var error in errors.EnumerateArray())
        {
            Assert.False(string.IsNullOrEmpty(error.GetProperty("code").GetString()), $"{what}: error without a code: {text}");
        }
    }

    /// <summary>Waits until the replica answers a metadata read (any status below 500) again.</summary>
    public static async Task WaitUntilServingAsync(HttpClient client, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var response = await client.GetAsync("/v2/_catalog?n=1");
                if ((int)response.StatusCode < 500) return;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{client.BaseAddress} did not serve again within {timeout}");
            await Task.Delay(100);
        }
    }
}
