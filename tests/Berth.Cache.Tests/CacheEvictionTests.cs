using System.Net;
using System.Net.Http.Headers;
using Berth.Cache.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Cache.Tests;

/// <summary>
/// Eviction of cached content, driven directly (the server runs it before each garbage collection): by time
/// unused and by a size cap, least recently pulled first, and never touching content pushed locally.
/// </summary>
public sealed class CacheEvictionTests : IAsyncLifetime
{
    private const string Prefix = "hub";

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private InProcessBerth _upstream = null!;
    private InProcessBerth _cache = null!;

    public async Task InitializeAsync() => _upstream = await InProcessBerth.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cache is not null) await _cache.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task AManifestNotPulledForEvictAfter_IsEvicted_AndPulledOnesStay()
    {
        var cache = await StartCacheAsync(new UpstreamOptions { Prefix = Prefix, Url = Url, EvictAfter = TimeSpan.FromDays(7) });
        var old = await _upstream.Registry.PushImageAsync("team/old", "v1", TestImage.FromSeed(1));
        var busy = await _upstream.Registry.PushImageAsync("team/busy", "v1", TestImage.FromSeed(2));
        await PullAsync($"{Prefix}/team/old", "v1");
        await PullAsync($"{Prefix}/team/busy", "v1");

        _time.Advance(TimeSpan.FromDays(5));
        await PullAsync($"{Prefix}/team/busy", "v1");
        _time.Advance(TimeSpan.FromDays(3));
        Assert.Equal(1, await cache.EvictAsync());

        Assert.False(HoldsManifest($"{Prefix}/team/old", old.ToString()));
        Assert.True(HoldsManifest($"{Prefix}/team/busy", busy.ToString()));
        // Evicted is not lost: the next pull fetches it from upstream again.
        Assert.Equal(old.ToString(), await PullAsync($"{Prefix}/team/old", "v1"));
    }

    [Fact]
    public async Task OverMaxBytes_TheLeastRecentlyPulledGoFirst_UntilTheRestFits()
    {
        var layer = 100_000;
        var cache = await StartCacheAsync(new UpstreamOptions { Prefix = Prefix, Url = Url, EvictAfter = null, MaxBytes = 250_000 });
        var digests = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            digests.Add((await _upstream.Registry.PushImageAsync($"team/app{i}", "v1", TestImage.FromSeed(10 + i, layerSize: layer))).ToString());
            await PullAsync($"{Prefix}/team/app{i}", "v1");
            _time.Advance(TimeSpan.FromMinutes(1));
        }
        await PullAsync($"{Prefix}/team/app0", "v1"); // app0 is now the most recently pulled

        Assert.Equal(2, await cache.EvictAsync());

        Assert.True(HoldsManifest($"{Prefix}/team/app0", digests[0]));
        Assert.False(HoldsManifest($"{Prefix}/team/app1", digests[1]));
        Assert.False(HoldsManifest($"{Prefix}/team/app2", digests[2]));
        Assert.True(HoldsManifest($"{Prefix}/team/app3", digests[3]));
    }

    [Fact]
    public async Task Eviction_NeverTouchesContentPushedLocally_EvenWhenItSharesALayer()
    {
        var cache = await StartCacheAsync(new UpstreamOptions { Prefix = Prefix, Url = Url, EvictAfter = TimeSpan.FromDays(1) });
        var image = TestImage.FromSeed(20, layerSize: 5000);
        await _upstream.Registry.PushImageAsync("team/app", "v1", image);
        await PullAsync($"{Prefix}/team/app", "v1");
        var local = await _cache.Registry.PushImageAsync("local/app", "v1", image);
        foreach (var (blob, _) in image.Blobs) Assert.Equal(HttpStatusCode.OK, (await _cache.Client.GetAsync($"/v2/{Prefix}/team/app/blobs/{blob}")).StatusCode);

        _time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, await cache.EvictAsync());
        await _cache.Registry.GarbageCollector.CollectAsync(dryRun: false);

        Assert.True(HoldsManifest("local/app", local.ToString()));
        foreach (var (blob, content) in image.Blobs)
        {
            // Gone from the cached repository, still in the local one.
            Assert.False((await _cache.Registry.Blobs.ReadAsync($"{Prefix}/team/app", blob, Oci.Preconditions.RequestPreconditions.None)).IsSuccess);
            Assert.Equal(content, await _cache.Client.GetByteArrayAsync($"/v2/local/app/blobs/{blob}"));
        }
    }

    private string Url => _upstream.Address.ToString().TrimEnd('/');

    private async Task<PullThroughCache> StartCacheAsync(UpstreamOptions upstream)
    {
        _cache = await InProcessBerth.StartAsync(time: _time,
            registry: options => options with { GarbageCollectionGracePeriod = TimeSpan.Zero },
            server: options => options with { Cache = new CacheOptions { Upstreams = [upstream] }, GarbageCollectionInterval = TimeSpan.Zero });
        return _cache.Cache!;
    }

    private bool HoldsManifest(string repository, string digest) =>
        _cache.Registry.Manifests.Read(repository, digest, Oci.Preconditions.RequestPreconditions.None).IsSuccess;

    private async Task<string> PullAsync(string name, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{name}/manifests/{reference}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciManifest));
        using var response = await _cache.Client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}:{reference} answered {(int)response.StatusCode}");
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }
}
