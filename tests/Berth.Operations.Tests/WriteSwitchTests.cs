using System.Net;
using System.Text.Json;
using Berth.Oci.Preconditions;

namespace Berth.Operations.Tests;

/// <summary>
/// Read-only mode and deletes-off (issue 15 item 5; conditional-requests design cases 44 and 50): exactly the writes
/// they cover are refused with 405 UNSUPPORTED, before any precondition is judged, while reads go on; both switch
/// while the server runs.
/// </summary>
public sealed class WriteSwitchTests
{
    [Fact]
    public async Task ReadOnly_RefusesEveryPushAndDelete_With405_AndServesReads()
    {
        await using var berth = await InProcessBerth.StartAsync();
        var http = berth.Client;
        var image = await HttpPushes.PushAsync(http, "ro/app", "v1", seed: 1);
        var blob = image.Blobs[1].Digest;
        var uploads = await http.PostAsync("/v2/ro/app/blobs/uploads/", null);
        var session = uploads.Headers.Location!.ToString();

        Reload(berth, readOnly: true, deletesEnabled: true);

        var refused = new List<HttpRequestMessage>
        {
            new(HttpMethod.Post, "/v2/ro/app/blobs/uploads/"),
            new(HttpMethod.Post, $"/v2/ro/app/blobs/uploads/?digest={blob}") { Content = new ByteArrayContent(image.Blobs[1].Content) },
            new(HttpMethod.Post, $"/v2/ro/other/blobs/uploads/?mount={blob}&from=ro/app"),
            new(HttpMethod.Patch, session) { Content = new ByteArrayContent([1, 2, 3]) },
            new(HttpMethod.Put, session + (session.Contains('?') ? "&" : "?") + "digest=" + blob),
            new(HttpMethod.Delete, "/v2/ro/app/manifests/v1"),
            new(HttpMethod.Delete, $"/v2/ro/app/manifests/{image.Digest}"),
            new(HttpMethod.Delete, $"/v2/ro/app/blobs/{blob}"),
        };
        foreach (var request in refused)
        {
            var what = $"{request.Method} {request.RequestUri}";
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.MethodNotAllowed, $"{what}: {(int)response.StatusCode}");
            Assert.Equal("UNSUPPORTED", await ErrorCodeAsync(response));
            Assert.Equal(["GET", "HEAD"], response.Content.Headers.Allow);
        }
        // Case 44: a stale If-Match on a read-only registry is 405, not 412 (a retry with a fresh ETag could not succeed).
        using (var stale = await HttpPushes.PutManifestAsync(http, "ro/app", "v1", image, ifMatch: "\"sha256:" + new string('0', 64) + "\""))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, stale.StatusCode);
        }
        // A malformed header too: the switch is judged before any header syntax.
        using (var malformed = await HttpPushes.PutManifestAsync(http, "ro/app", "v1", image, ifMatch: "not-an-etag"))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, malformed.StatusCode);
        }

        // Hostile spellings of the methods (HTTP methods are case-sensitive, RFC 9110 §9.1): none is taken for a
        // read, and none writes. They are not the methods the registry serves, so they are refused before any store.
        foreach (var method in new[] { "put", "Put", "delete", "DELETE ", "PUT\t" })
        {
            HttpRequestMessage request;
            try
            {
                // A delete aims at the tag that exists, a put at one that does not: either would show if it wrote.
                var tag = method.StartsWith('d') || method.StartsWith('D') ? "v1" : "v2";
                request = new HttpRequestMessage(new HttpMethod(method), $"/v2/ro/app/manifests/{tag}") { Content = new ByteArrayContent(image.Manifest) };
            }
            catch (FormatException)
            {
                continue; // not a token: the client cannot even send it
            }
            using (request)
            using (var response = await http.SendAsync(request))
            {
                Assert.False(response.IsSuccessStatusCode, $"{method}: {(int)response.StatusCode}");
            }
        }
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/v2/ro/app/manifests/v2")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/ro/app/manifests/v1")).StatusCode);

        // Reads, and cancelling an upload (it changes nothing a client can read), go on.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/ro/app/manifests/v1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/v2/ro/app/blobs/{blob}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/ro/app/tags/list")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync(session)).StatusCode);

        // Nothing changed underneath, also for a caller of the operations that is not the HTTP layer (the web UI).
        var direct = await berth.Registry.Manifests.DeleteAsync("ro/app", "v1", RequestPreconditions.None, actor: "test");
        Assert.Equal(405, direct.Error!.Status);
        Assert.Equal(image.Digest, berth.Registry.Manifests.Read("ro/app", "v1", RequestPreconditions.None).Value!.Manifest.Digest.ToString());

        Reload(berth, readOnly: false, deletesEnabled: true);
        using var again = await http.PostAsync("/v2/ro/app/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
    }

    [Fact]
    public async Task DeletesOff_RefusesDeletesOnly_EvenWithAMatchingIfMatch()
    {
        await using var berth = await InProcessBerth.StartAsync(registry: options => options with { DeletesEnabled = false });
        var http = berth.Client;
        var image = await HttpPushes.PushAsync(http, "nodelete/app", "v1", seed: 2);
        var etag = "\"" + image.Digest + "\"";

        // Case 50: DELETE t with deletion disabled and a matching If-Match → 405; the tag stays.
        var delete = new HttpRequestMessage(HttpMethod.Delete, "/v2/nodelete/app/manifests/v1");
        delete.Headers.TryAddWithoutValidation("If-Match", etag);
        using (var response = await http.SendAsync(delete))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
            Assert.Equal("UNSUPPORTED", await ErrorCodeAsync(response));
        }
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.DeleteAsync($"/v2/nodelete/app/blobs/{image.Blobs[0].Digest}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v2/nodelete/app/manifests/v1")).StatusCode);

        // Pushes, tag moves included, go on.
        await HttpPushes.PushAsync(http, "nodelete/app", "v1", seed: 3);

        Reload(berth, readOnly: false, deletesEnabled: true);
        Assert.Equal(HttpStatusCode.Accepted, (await http.DeleteAsync("/v2/nodelete/app/manifests/v1")).StatusCode);
    }

    private static void Reload(InProcessBerth berth, bool readOnly, bool deletesEnabled) =>
        berth.Server.Reload(berth.Server.Options with
        {
            Registry = berth.Server.Options.Registry with { ReadOnly = readOnly, DeletesEnabled = deletesEnabled },
        });

    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("errors")[0].GetProperty("code").GetString()!;
    }
}
