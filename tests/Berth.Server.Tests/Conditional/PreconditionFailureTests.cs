using System.Net;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.ConditionalScenario;

namespace Berth.Server.Tests.Conditional;

/// <summary>
/// "A 412 changes nothing observable" (issue 3; design doc §5.2 "Atomicity" and the preamble of
/// section 6): not the tag or its Last-Modified, not the tags list, not the referrers list, not the
/// catalog, not the tag history, and the refused manifest cannot be fetched by digest.
/// </summary>
public sealed class PreconditionFailureTests(InProcessBerthFixture fixture) : IClassFixture<InProcessBerthFixture>
{
    /// <summary>Everything a client could observe about repository r, as bytes and headers.</summary>
    private async Task<string> SnapshotAsync(ConditionalScenario s)
    {
        var parts = new List<string>();
        using (var tag = await s.GetAsync(Tag))
        {
            parts.Add($"{(int)tag.StatusCode} {tag.Header("ETag")} {tag.Header("Last-Modified")} {Convert.ToBase64String(await tag.Content.ReadAsByteArrayAsync())}");
        }
        foreach (var path in new[]
                 {
                     $"/v2/{s.Repository}/tags/list",
                     $"/v2/{s.Repository}/referrers/{s.D1}",
                     "/v2/_catalog",
                     $"/v2/{s.Repository}/_berth/history/{Tag}",
                     $"/v2/{s.Repository}/_berth/history/n",
                 })
        {
            using var response = await fixture.Client.GetAsync(path);
            parts.Add($"{path}: {(int)response.StatusCode} {response.Header("ETag")} {await response.Content.ReadAsStringAsync()}");
        }
        return string.Join("\n", parts);
    }

    [Fact]
    public async Task RefusedWritesLeaveEveryObservableStateUnchanged()
    {
        var s = await CreateAsync(fixture.Client, "failures/all");
        // One referrer already exists, so the referrers list is not trivially empty.
        var existing = s.Manifest(50, subject: s.D1, artifactType: "application/vnd.example.sig");
        using (var pushed = await s.PutAsync(Sha256(existing), existing)) Assert.Equal(HttpStatusCode.Created, pushed.StatusCode);
        var before = await SnapshotAsync(s);

        // Each refused request carries a manifest that would add a referrer of D1 if it were stored.
        var seed = 60;
        async Task RefusedAsync(HttpStatusCode expected, Func<byte[], Task<HttpResponseMessage>> send)
        {
            var manifest = s.Manifest(seed++, subject: s.D1, artifactType: "application/vnd.example.sbom");
            using var response = await send(manifest);
            Assert.Equal(expected, response.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, await s.ManifestStatusAsync(Sha256(manifest)));
            Assert.Equal(before, await SnapshotAsync(s));
        }

        await RefusedAsync(HttpStatusCode.PreconditionFailed, m => s.PutAsync(Tag, m, ("If-Match", Quoted(D9))));
        await RefusedAsync(HttpStatusCode.PreconditionFailed, m => s.PutAsync(Tag, m, ("If-None-Match", "*")));
        await RefusedAsync(HttpStatusCode.PreconditionFailed, m => s.PutAsync(Tag, m, ("If-None-Match", Quoted(s.D1))));
        await RefusedAsync(HttpStatusCode.PreconditionFailed, m => s.PutAsync(Tag, m,
            ("If-Unmodified-Since", Berth.Oci.Preconditions.HttpDate.Format(DateTimeOffset.UtcNow.AddDays(-1)))));
        await RefusedAsync(HttpStatusCode.PreconditionFailed, m => s.PutAsync("n", m, ("If-Match", "*")));
        await RefusedAsync(HttpStatusCode.PreconditionFailed, m => s.PutAsync(Sha256(m), m, ("If-Match", "*")));
        await RefusedAsync(HttpStatusCode.BadRequest, m => s.PutAsync(Tag, m, ("If-Match", $"*, {Quoted(s.D1)}")));
        await RefusedAsync(HttpStatusCode.BadRequest, m => s.Client.SendAsync(HttpMethod.Put,
            s.ManifestPath(Sha256(m)) + "?tag=n", [("If-None-Match", "*")], ManifestContent(m)));
        await RefusedAsync(HttpStatusCode.PreconditionFailed, _ => s.DeleteAsync(Tag, ("If-Match", Quoted(D9))));
        await RefusedAsync(HttpStatusCode.PreconditionFailed, _ => s.DeleteAsync(s.D1, ("If-Match", Quoted(D9))));
        await RefusedAsync(HttpStatusCode.PreconditionFailed, _ => s.DeleteAsync(Sha256(existing), ("If-None-Match", "*")));
        await RefusedAsync(HttpStatusCode.PreconditionFailed, _ => s.Client.SendAsync(HttpMethod.Delete,
            $"/v2/{s.Repository}/blobs/{s.B}", [("If-Match", Quoted(D9))]));
    }
}
