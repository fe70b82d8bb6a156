using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Berth.Server.Tests.Support;

/// <summary>
/// Requests and assertions shaped like the ones a distribution-spec client sends and checks: upload
/// sessions followed through their Location, and the spec's JSON error body.
/// </summary>
public static class SpecHttp
{
    /// <summary>distribution-spec "Error Codes" (code-1 … code-14): the only codes a JSON error body may use.</summary>
    public static readonly IReadOnlySet<string> SpecErrorCodes = new HashSet<string>(StringComparer.Ordinal)
    {
        "BLOB_UNKNOWN", "BLOB_UPLOAD_INVALID", "BLOB_UPLOAD_UNKNOWN", "DIGEST_INVALID", "MANIFEST_BLOB_UNKNOWN",
        "MANIFEST_INVALID", "MANIFEST_UNKNOWN", "NAME_INVALID", "NAME_UNKNOWN", "SIZE_INVALID", "UNAUTHORIZED",
        "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS",
    };

    public const string OctetStream = "application/octet-stream";

    /// <summary>end-4a: POST with no body; asserts 202 and returns the session's Location as given.</summary>
    public static async Task<string> StartUploadAsync(this HttpClient client, string name, string query = "")
    {
        using var response = await client.PostAsync($"/v2/{name}/blobs/uploads/{query}", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return LocationOf(response);
    }

    /// <summary>The Location header exactly as sent (absolute path or URL), which clients must follow as given.</summary>
    public static string LocationOf(HttpResponseMessage response)
    {
        Assert.True(response.Headers.TryGetValues("Location", out var values), "response has no Location header");
        var location = Assert.Single(values);
        Assert.False(string.IsNullOrEmpty(location));
        return location;
    }

    /// <summary>Appends a query parameter to a Location that may already carry one.</summary>
    public static string WithQuery(string location, string parameter) =>
        location + (location.Contains('?') ? "&" : "?") + parameter;

    /// <summary>
    /// end-5 PATCH. <paramref name="contentRange"/> is sent verbatim ("0-21" in the spec's form);
    /// <paramref name="chunkedTransfer"/> sends the body with no Content-Length, as Go clients do.
    /// </summary>
    public static async Task<HttpResponseMessage> PatchChunkAsync(this HttpClient client, string location, byte[] chunk,
        string? contentRange = null, bool chunkedTransfer = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, location);
        request.Content = Body(chunk, contentRange);
        if (chunkedTransfer) request.Headers.TransferEncodingChunked = true;
        return await client.SendAsync(request);
    }

    /// <summary>end-6 closing PUT with ?digest=, with or without a final chunk.</summary>
    public static async Task<HttpResponseMessage> PutUploadAsync(this HttpClient client, string location, string digest,
        byte[]? chunk = null, string? contentRange = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, WithQuery(location, "digest=" + digest));
        request.Content = Body(chunk ?? [], contentRange);
        return await client.SendAsync(request);
    }

    private static ByteArrayContent Body(byte[] bytes, string? contentRange)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(OctetStream);
        if (contentRange is not null) content.Headers.TryAddWithoutValidation("Content-Range", contentRange);
        return content;
    }

    /// <summary>POST then PUT (end-4a + end-6); asserts 201 and returns the digest.</summary>
    public static async Task<string> PushBlobInTwoStepsAsync(this HttpClient client, string name, byte[] content, string digest)
    {
        var location = await client.StartUploadAsync(name);
        using var response = await client.PutUploadAsync(location, digest, content);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return digest;
    }

    public static Task<HttpResponseMessage> HeadAsync(this HttpClient client, string path) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));

    public static async Task<HttpStatusCode> StatusOfAsync(this HttpClient client, HttpMethod method, string path)
    {
        using var response = await client.SendAsync(new HttpRequestMessage(method, path));
        return response.StatusCode;
    }

    /// <summary>Asserts a blob is pullable with exactly these bytes, on both HEAD and GET (end-2).</summary>
    public static async Task AssertBlobAsync(this HttpClient client, string name, string digest, byte[] content)
    {
        using (var head = await client.HeadAsync($"/v2/{name}/blobs/{digest}"))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(content.Length, head.Content.Headers.ContentLength);
            Assert.Equal(digest, head.Header("Docker-Content-Digest"));
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }
        using var get = await client.GetAsync($"/v2/{name}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(content.Length, get.Content.Headers.ContentLength);
        Assert.Equal(digest, get.Header("Docker-Content-Digest"));
        Assert.Equal(content, await get.Content.ReadAsByteArrayAsync());
    }

    public static async Task AssertBlobAbsentAsync(this HttpClient client, string name, string digest)
    {
        using var head = await client.HeadAsync($"/v2/{name}/blobs/{digest}");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    /// <summary>
    /// Asserts the status and the spec's error body: JSON <c>{"errors":[{"code":…,"message":…}]}</c>
    /// whose code is <paramref name="code"/>, one of the spec's list (distribution-spec "Error Codes").
    /// </summary>
    public static async Task AssertErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        var errors = document.RootElement.GetProperty("errors");
        Assert.Equal(JsonValueKind.Array, errors.ValueKind);
        var error = Assert.Single(errors.EnumerateArray());
        var actual = error.GetProperty("code").GetString() ?? "";
        Assert.Contains(actual, SpecErrorCodes);
        Assert.Equal(code, actual);
        if (error.TryGetProperty("message", out var message)) Assert.Equal(JsonValueKind.String, message.ValueKind);
    }

    /// <summary>Asserts the status and a spec JSON error body, whatever its code; returns the code.</summary>
    public static async Task<string> AssertSpecErrorAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        var error = Assert.Single(document.RootElement.GetProperty("errors").EnumerateArray());
        var code = error.GetProperty("code").GetString() ?? "";
        Assert.Contains(code, SpecErrorCodes);
        return code;
    }

    /// <summary>The target of a <c>Link: &lt;…&gt;; rel="next"</c> header (RFC 8288), or null when there is none.</summary>
    public static string? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values)) return null;
        var link = Assert.Single(values);
        Assert.Matches("^<[^>]+>; *rel=\"next\"$", link);
        return link[1..link.IndexOf('>')];
    }

    /// <summary>end-8a: the repository's whole tag list; asserts 200.</summary>
    public static async Task<List<string>> TagsAsync(this HttpClient client, string name)
    {
        using var response = await client.GetAsync($"/v2/{name}/tags/list");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await response.ReadJsonAsync();
        Assert.Equal(name, json.GetProperty("name").GetString());
        return [.. json.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!)];
    }

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        return document.RootElement.Clone();
    }
}
