using System.Net;
using Berth.Server.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using static Berth.Server.Tests.Support.ManifestBuilder;
using static Berth.Server.Tests.Support.RegistryContent;

namespace Berth.Server.Tests;

/// <summary>
/// Issue 2 "Uploads persist across a restart of the server and expire after a configurable idle time;
/// expired upload data is removed": a server is stopped and another started on the same data folder.
/// </summary>
public sealed class UploadPersistenceTests : IDisposable
{
    private const string Name = "spec/persist";

    private readonly string _data = Path.Combine(Path.GetTempPath(), "berth-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task UploadStartedBeforeRestart_IsContinuedAndCompleted(bool sha512)
    {
        var content = RandomBytes(3 * 1024 - 5, seed: 200);
        var digest = sha512 ? Sha512(content) : Sha256(content);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        string location;
        await using (var before = await InProcessBerth.StartAsync(dataDirectory: _data, time: time))
        {
            location = await before.Client.StartUploadAsync(Name, sha512 ? "?digest-algorithm=sha512" : "");
            using var patch = await before.Client.PatchChunkAsync(location, content[..1024], "0-1023");
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            location = SpecHttp.LocationOf(patch);
        }

        await using var after = await InProcessBerth.StartAsync(dataDirectory: _data);
        // The session and its bytes survived: status reports them, order is still enforced.
        using (var status = await after.Client.GetAsync(location))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal("0-1023", status.Header("Range"));
        }
        using (var outOfOrder = await after.Client.PatchChunkAsync(location, content[2048..], "2048-3066"))
        {
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, outOfOrder.StatusCode);
        }
        using (var patch = await after.Client.PatchChunkAsync(location, content[1024..2048], "1024-2047"))
        {
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            Assert.Equal("0-2047", patch.Header("Range"));
        }
        // The digest covers bytes from both server lifetimes.
        using (var put = await after.Client.PutUploadAsync(location, digest, content[2048..], "2048-3066"))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            Assert.Equal(digest, put.Header("Docker-Content-Digest"));
        }
        await after.Client.AssertBlobAsync(Name, digest, content);
    }

    [Fact]
    public async Task StreamedUploadBeforeRestart_CanBeFinishedWithTheClosingPut()
    {
        var content = RandomBytes(50_000, seed: 201);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        string location;
        await using (var before = await InProcessBerth.StartAsync(dataDirectory: _data, time: time))
        {
            location = await before.Client.StartUploadAsync(Name);
            using var patch = await before.Client.PatchChunkAsync(location, content, chunkedTransfer: true);
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        }

        await using var after = await InProcessBerth.StartAsync(dataDirectory: _data);
        using (var put = await after.Client.PutUploadAsync(location, Sha256(content)))
        {
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }
        await after.Client.AssertBlobAsync(Name, Sha256(content), content);
    }

    [Fact]
    public async Task PushedContent_SurvivesRestart()
    {
        var image = await PushOnceAsync();

        await using var after = await InProcessBerth.StartAsync(dataDirectory: _data);
        await after.Client.AssertManifestAsync(Name, "v1", Bytes(image), MediaTypes.OciManifest);
        Assert.Equal(["v1"], await after.Client.TagsAsync(Name));
        foreach (var blob in new[] { image["config"]!, image["layers"]![0]! })
        {
            using var head = await after.Client.HeadAsync($"/v2/{Name}/blobs/{blob["digest"]!.GetValue<string>()}");
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        }
    }

    [Fact]
    public async Task IdleUpload_ExpiresWithItsData()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        string location;
        // The upload's bytes are looked for in the data folder's uploads/, where the embedded store keeps them.
        await using (var before = await InProcessBerth.StartAsync(dataDirectory: _data, time: time, backend: TestBackend.Embedded))
        {
            location = await before.Client.StartUploadAsync(Name);
            using var patch = await before.Client.PatchChunkAsync(location, RandomBytes(4096, seed: 202), "0-4095");
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        }
        var id = location[(location.LastIndexOf('/') + 1)..];
        var file = Path.Combine(_data, "uploads", id);
        Assert.True(File.Exists(file));
        time.Advance(TimeSpan.FromMinutes(11));

        // Restarted with an idle expiry shorter than the pause: the sweep at start-up removes it.
        await using var after = await InProcessBerth.StartAsync(options => options with { UploadIdleExpiry = TimeSpan.FromMinutes(10) }, _data, time: time,
            backend: TestBackend.Embedded);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode status;
        do
        {
            using var response = await after.Client.GetAsync(location);
            status = response.StatusCode;
            if (status == HttpStatusCode.NotFound)
            {
                await response.AssertErrorAsync(HttpStatusCode.NotFound, "BLOB_UPLOAD_UNKNOWN");
                break;
            }
            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.NotFound, status);
        // The sweep forgets the session first (so no client can append any more), then deletes its data.
        while (File.Exists(file) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.False(File.Exists(file), "the expired upload's data is still on disk");
    }

    private async Task<System.Text.Json.Nodes.JsonObject> PushOnceAsync()
    {
        await using var before = await InProcessBerth.StartAsync(dataDirectory: _data);
        var image = await before.Client.PushImageBlobsAsync(Name, seed: 203);
        await before.Client.PushManifestAsync(Name, image, tag: "v1");
        return image;
    }
}
