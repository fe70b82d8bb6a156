using System.Net;
using System.Net.Http.Headers;
using Berth.Oci.Digests;
using Berth.Registry;
using Berth.Storage.Configuration;
using Berth.Server.Hosting;
using Berth.Storage.ObjectStores.S3;
using Berth.Testing.Backends;
using Microsoft.Extensions.Logging;

namespace Berth.Storage.Tests;

/// <summary>
/// The server's blob endpoints on S3 (Ceph RGW), through real HTTP: chunked push, pull with ranges
/// streamed from the object store, the optional 307 redirect, and 503 when the store is gone.
/// </summary>
public sealed class ObjectStoreOverHttpTests(CephRadosGatewayFixture ceph) : IClassFixture<CephRadosGatewayFixture>
{
    private async Task<(RegistryServer Server, HttpClient Http, string Data, S3Bucket Bucket)> StartAsync(bool redirect)
    {
        var options = ceph.Gateway.StorageOptions("http-" + Guid.NewGuid().ToString("N")[..12]) with { Redirect = redirect, SegmentBytes = 5 << 20 };
        var data = Directory.CreateTempSubdirectory("berth-http-s3-").FullName;
        // Chosen by configuration, as berth serve does; the test's own client of the bucket only inspects it.
        var server = RegistryServer.Create(new ServerOptions
        {
            Listen = "127.0.0.1:0",
            Registry = new RegistryOptions { DataDirectory = data, Storage = new StorageOptions { Kind = BlobStoreKind.S3, S3 = options } },
            LogLevel = LogLevel.Warning,
        });
        await server.StartAsync();
        var bucket = new S3Bucket(options);
        var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = server.Address };
        return (server, http, data, bucket);
    }

    private static async Task StopAsync((RegistryServer Server, HttpClient Http, string Data, S3Bucket Bucket) started)
    {
        started.Http.Dispose();
        await started.Server.DisposeAsync();
        started.Bucket.Dispose();
        Directory.Delete(started.Data, recursive: true);
    }

    private static async Task<Digest> PushChunkedAsync(HttpClient http, string repository, byte[] content, int chunk)
    {
        using var start = await http.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        var location = start.Headers.Location!.ToString();
        for (var offset = 0; offset < content.Length; offset += chunk)
        {
            var length = Math.Min(chunk, content.Length - offset);
            using var body = new ByteArrayContent(content, offset, length);
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            body.Headers.TryAddWithoutValidation("Content-Range", $"{offset}-{offset + length - 1}");
            using var patch = await http.PatchAsync(location, body);
            Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
            location = patch.Headers.Location!.ToString();
        }
        using var hasher = new DigestHasher(DigestAlgorithm.Sha256);
        hasher.Append(content);
        var digest = hasher.Current();
        using var put = await http.PutAsync($"{location}{(location.Contains('?') ? '&' : '?')}digest={digest}", null);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return digest;
    }

    [Fact]
    public async Task ChunkedPush_ThenPullWholeAndByRange_StreamsFromTheBucket()
    {
        var started = await StartAsync(redirect: false);
        try
        {
            var content = new byte[7 * 1024 * 1024 + 11];
            Random.Shared.NextBytes(content);
            var digest = await PushChunkedAsync(started.Http, "app", content, 3 * 1024 * 1024);

            Assert.Equal(content, await started.Http.GetByteArrayAsync($"/v2/app/blobs/{digest}"));
            using var ranged = new HttpRequestMessage(HttpMethod.Get, $"/v2/app/blobs/{digest}");
            ranged.Headers.Range = new RangeHeaderValue(5 * 1024 * 1024 - 3, 5 * 1024 * 1024 + 2);
            using var partial = await started.Http.SendAsync(ranged);
            Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
            Assert.Equal(content[(5 * 1024 * 1024 - 3)..(5 * 1024 * 1024 + 3)], await partial.Content.ReadAsByteArrayAsync());
            Assert.NotNull(await new S3BlobStore(started.Bucket).FindAsync(digest));
        }
        finally
        {
            await StopAsync(started);
        }
    }

    [Fact]
    public async Task RedirectSetting_Answers307ToAPresignedUrlServingTheBlob()
    {
        var started = await StartAsync(redirect: true);
        try
        {
            var content = new byte[100_000];
            Random.Shared.NextBytes(content);
            var digest = await PushChunkedAsync(started.Http, "app", content, 40_000);

            using var response = await started.Http.GetAsync($"/v2/app/blobs/{digest}");
            Assert.Equal(HttpStatusCode.TemporaryRedirect, response.StatusCode);
            using var direct = new HttpClient();
            Assert.Equal(content, await direct.GetByteArrayAsync(response.Headers.Location));
            using var head = await started.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/app/blobs/{digest}"));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(content.Length, head.Content.Headers.ContentLength);
        }
        finally
        {
            await StopAsync(started);
        }
    }

    [Fact]
    public async Task StoreUnreachable_PushAnswers503_AndNoBlobIsLinked()
    {
        var started = await StartAsync(redirect: false);
        try
        {
            var content = new byte[50_000];
            Random.Shared.NextBytes(content);
            using var hasher = new DigestHasher(DigestAlgorithm.Sha256);
            hasher.Append(content);
            var digest = hasher.Current();

            ceph.Gateway.KillGateway();
            HttpResponseMessage push;
            try
            {
                push = await started.Http.PostAsync($"/v2/app/blobs/uploads/?digest={digest}", new ByteArrayContent(content));
            }
            finally
            {
                await ceph.Gateway.RestartGatewayAsync();
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, push.StatusCode);
            Assert.Contains("BLOB", (await push.Content.ReadAsStringAsync()).ToUpperInvariant());
            Assert.DoesNotContain(CephRadosGateway.SecretKey, await push.Content.ReadAsStringAsync());
            using var pull = await started.Http.GetAsync($"/v2/app/blobs/{digest}");
            Assert.Equal(HttpStatusCode.NotFound, pull.StatusCode);
            push.Dispose();
        }
        finally
        {
            await StopAsync(started);
        }
    }
}
