using System.Net;
using System.Net.Http.Headers;
using Berth.ScaleOut.Tests.Support;
using Xunit.Abstractions;

namespace Berth.ScaleOut.Tests;

/// <summary>
/// A chunked upload (distribution-spec "Pushing a blob in chunks") whose requests a load balancer sends
/// to a different replica each time: the session, its stored parts and the digest check must all live
/// in the shared stores, not in the replica that opened it.
/// </summary>
[Collection(ReplicaCollection.Name)]
public sealed class CrossReplicaUploadTests(ReplicaCluster cluster, ITestOutputHelper output) : IAsyncLifetime
{
    private const int MiB = 1 << 20;

    public Task InitializeAsync() => cluster.EnsureHealthyAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    // Chunks at S3's 5 MiB minimum part size, then a small last one with the closing PUT.
    [InlineData(new[] { 5 * MiB, 5 * MiB, 5 * MiB }, 100_000)]
    // Uneven chunks around the minimum: parts are not aligned with what the client sends.
    [InlineData(new[] { 5 * MiB + 17, 6 * MiB - 3, 5 * MiB + 1 }, 1)]
    // Chunks below the minimum, which the store must hold somewhere every replica reaches.
    [InlineData(new[] { 1 * MiB, 2 * MiB + 5, 1 * MiB, 3 * MiB }, 4096)]
    public async Task PatchesOnAlternatingReplicas_CompleteWithTheRightDigest(int[] chunkSizes, int lastChunkSize)
    {
        var repository = "scale/chunked" + chunkSizes.Length + lastChunkSize;
        var content = OciContent.RandomBytes(chunkSizes.Sum() + lastChunkSize);
        var digest = Sha256(content);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        using var opened = await cluster.Client(0).PostAsync($"/v2/{repository}/blobs/uploads/", content: null);
        Assert.Equal(HttpStatusCode.Accepted, opened.StatusCode);
        var location = PathOf(opened);
        var offset = 0;
        var replica = 1;
        foreach (var size in chunkSizes)
        {
            using var request = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new ByteArrayContent(content, offset, size) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Content.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + size - 1}");
            using var response = await cluster.Client(replica).SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted,
                $"PATCH {offset}-{offset + size - 1} on replica {replica % 3}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            // The Range header reports everything received so far, whichever replica took it.
            Assert.Equal($"0-{offset + size - 1}", response.Headers.GetValues("Range").Single());
            location = PathOf(response);
            offset += size;
            replica++;
        }

        // Another replica reports the session's progress (distribution-spec "Obtaining an upload's status").
        using (var status = await cluster.Client(replica + 1).GetAsync(location))
        {
            Assert.Equal(HttpStatusCode.NoContent, status.StatusCode);
            Assert.Equal($"0-{offset - 1}", status.Headers.GetValues("Range").Single());
        }

        var separator = location.Contains('?') ? '&' : '?';
        using (var close = new HttpRequestMessage(HttpMethod.Put, $"{location}{separator}digest={digest}") { Content = new ByteArrayContent(content, offset, lastChunkSize) })
        {
            close.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var closed = await cluster.Client(replica).SendAsync(close);
            Assert.True(closed.StatusCode == HttpStatusCode.Created, $"closing PUT: {(int)closed.StatusCode} {await closed.Content.ReadAsStringAsync()}");
            Assert.Equal(digest, closed.Headers.GetValues("Docker-Content-Digest").Single());
        }
        var uploadTime = clock.Elapsed;

        // Pulled byte-identical from each replica, the one that took no part in the close included.
        for (var reader = 0; reader < ReplicaCluster.ReplicaCount; reader++)
        {
            var pulled = await cluster.Client(reader).GetByteArrayAsync($"/v2/{repository}/blobs/{digest}");
            Assert.Equal(content.Length, pulled.Length);
            Assert.True(content.AsSpan().SequenceEqual(pulled), $"replica {reader} served different bytes");
        }
        output.WriteLine($"{content.Length / (double)MiB:F1} MiB in {chunkSizes.Length} PATCHes + close over alternating replicas: {uploadTime.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task AWrongDigest_IsRefused_AndTheBlobStaysUnknown()
    {
        const string repository = "scale/chunked-wrong";
        var content = OciContent.RandomBytes(5 * MiB + 10);
        using var opened = await cluster.Client(0).PostAsync($"/v2/{repository}/blobs/uploads/", content: null);
        var location = PathOf(opened);
        using (var request = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new ByteArrayContent(content) })
        {
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            request.Content.Headers.TryAddWithoutValidation("Content-Range", $"0-{content.Length - 1}");
            using var response = await cluster.Client(1).SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            location = PathOf(response);
        }
        // The digest of other bytes: the replica that did not see the PATCH must still notice.
        var wrong = Sha256(OciContent.RandomBytes(16));
        var separator = location.Contains('?') ? '&' : '?';
        using var closed = await cluster.Client(2).PutAsync($"{location}{separator}digest={wrong}", new ByteArrayContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, closed.StatusCode);
        await RegistryCalls.AssertJsonErrorAsync(closed, "closing PUT with a wrong digest");
        for (var reader = 0; reader < ReplicaCluster.ReplicaCount; reader++)
        {
            using var head = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/blobs/{wrong}");
            using var response = await cluster.Client(reader).SendAsync(head);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
    }

    /// <summary>The upload URL's path and query, to send to any replica (the Location may be absolute or relative).</summary>
    private static string PathOf(HttpResponseMessage response)
    {
        var location = response.Headers.Location ?? throw new InvalidOperationException($"{(int)response.StatusCode} without a Location");
        return location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString;
    }
}
