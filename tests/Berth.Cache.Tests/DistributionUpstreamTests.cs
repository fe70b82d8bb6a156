using System.Net;
using System.Net.Http.Headers;
using Berth.Cache.Configuration;
using Berth.Cache.Tests.Support;
using Berth.Client;
using Berth.Testing.Backends;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Cache.Tests;

/// <summary>The cache in front of CNCF Distribution 2.8 (Debian's docker-registry), behind the counting proxy.</summary>
public sealed class DistributionUpstreamTests : IAsyncLifetime
{
    private const string Prefix = "dist";
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private DistributionRegistryProcess _distribution = null!;
    private CountingProxy _proxy = null!;
    private InProcessBerth _cache = null!;

    public async Task InitializeAsync()
    {
        _distribution = await DistributionRegistryProcess.StartAsync();
        _proxy = await CountingProxy.StartAsync(_distribution.Address);
        _cache = await InProcessBerth.StartAsync(time: _time, server: options => options with
        {
            Cache = new CacheOptions { Upstreams = [new UpstreamOptions { Prefix = Prefix, Url = _proxy.Address.ToString().TrimEnd('/'), Ttl = Ttl }] },
        });
    }

    public async Task DisposeAsync()
    {
        await _cache.DisposeAsync();
        await _proxy.DisposeAsync();
        await _distribution.DisposeAsync();
    }

    [Fact]
    public async Task AnImageInDistribution_PullsThroughTheCacheByteIdentical_AndAfterTtlIsRevalidatedWithoutItsBlobs()
    {
        var image = TestImage.FromSeed(30, layerSize: 50_000);
        using (var client = new RegistryClientBuilder(_distribution.Host).Build())
        {
            var repository = client.Repository("team/app");
            foreach (var (_, content) in image.Blobs) await repository.PushBlobAsync(content);
            await repository.PutManifestAsync("v1", Manifest.FromBytes(image.Manifest, image.MediaType));
        }

        Assert.Equal(image.Digest, await PullAsync("v1"));
        foreach (var (blob, content) in image.Blobs) Assert.Equal(content, await _cache.Client.GetByteArrayAsync($"/v2/{Prefix}/team/app/blobs/{blob}"));

        _proxy.Clear();
        _time.Advance(Ttl + TimeSpan.FromSeconds(1));
        Assert.Equal(image.Digest, await PullAsync("v1"));
        foreach (var (blob, _) in image.Blobs) Assert.Equal(HttpStatusCode.OK, (await _cache.Client.GetAsync($"/v2/{Prefix}/team/app/blobs/{blob}")).StatusCode);
        var upstream = _proxy.Requests.Where(r => r.PathAndQuery != "/v2/").ToList();
        var revalidation = Assert.Single(upstream);
        Assert.Equal(("GET", "/v2/team/app/manifests/v1"), (revalidation.Method, revalidation.PathAndQuery));
        Assert.Equal($"\"{image.Digest}\"", revalidation.IfNoneMatch);
        // Distribution honours If-None-Match on manifests with a 304.
        Assert.Equal(304, revalidation.Status);
    }

    private async Task<string> PullAsync(string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{Prefix}/team/app/manifests/{reference}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciManifest));
        using var response = await _cache.Client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{reference} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }
}
