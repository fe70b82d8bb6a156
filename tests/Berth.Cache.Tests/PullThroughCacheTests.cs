using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Berth.Auth;
using Berth.Auth.Access;
using Berth.Auth.Users;
using Berth.Cache.Configuration;
using Berth.Cache.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Berth.Cache.Tests;

/// <summary>
/// The pull-through cache over real HTTP: an upstream Berth with authentication and its token service, a
/// counting proxy in front of it that records every request reaching upstream, and a cache Berth whose
/// clock the test moves past the tag ttl.
/// </summary>
public sealed class PullThroughCacheTests : IAsyncLifetime
{
    private const string Prefix = "hub";
    private const string User = "cache-reader";
    private const string Password = "cache-reader-secret";
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private InProcessBerth _upstream = null!;
    private CountingProxy _proxy = null!;
    private InProcessBerth _cache = null!;

    public async Task InitializeAsync()
    {
        _upstream = await InProcessBerth.StartAsync(server: options => options with
        {
            Auth = new AuthOptions
            {
                Service = "upstream-test",
                Users = [new ConfiguredUser { Name = User, PasswordHash = BcryptPassword.Hash(Password, 4) }],
                Access = [new AccessRule { Repositories = "**", Users = [User], Actions = ["pull"] }],
            },
        });
        _proxy = await CountingProxy.StartAsync(_upstream.Address);
        _cache = await InProcessBerth.StartAsync(time: _time, server: options => options with
        {
            Cache = new CacheOptions
            {
                Upstreams =
                [
                    new UpstreamOptions
                    {
                        Prefix = Prefix,
                        Url = _proxy.Address.ToString().TrimEnd('/'),
                        Username = User,
                        Password = Password,
                        Ttl = Ttl,
                        MaxStale = TimeSpan.FromHours(1),
                        Timeout = TimeSpan.FromSeconds(10),
                        MirrorOf = ["docker.io"],
                    },
                ],
            },
        });
    }

    public async Task DisposeAsync()
    {
        await _cache.DisposeAsync();
        await _proxy.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task TagPulls_WithinTtl_NeverAskUpstream_AndAfterTtl_OneConditionalRequestIsAnswered304()
    {
        var image = TestImage.FromSeed(1, layerSize: 4096);
        var digest = await _upstream.Registry.PushImageAsync("team/app", "v1", image);

        var first = await PullAsync($"{Prefix}/team/app", "v1");
        Assert.Equal(digest.ToString(), first.Digest);
        foreach (var (blob, content) in image.Blobs) Assert.Equal(content, await _cache.Client.GetByteArrayAsync($"/v2/{Prefix}/team/app/blobs/{blob}"));

        _proxy.Clear();
        for (var i = 0; i < 100; i++) Assert.Equal(digest.ToString(), (await PullAsync($"{Prefix}/team/app", "v1")).Digest);
        Assert.Empty(UpstreamRegistryRequests());

        _time.Advance(Ttl + TimeSpan.FromSeconds(1));
        _proxy.Clear();
        Assert.Equal(digest.ToString(), (await PullAsync($"{Prefix}/team/app", "v1")).Digest);
        foreach (var (blob, _) in image.Blobs) Assert.Equal(HttpStatusCode.OK, (await _cache.Client.GetAsync($"/v2/{Prefix}/team/app/blobs/{blob}")).StatusCode);
        var revalidation = Assert.Single(UpstreamRegistryRequests());
        Assert.Equal(("GET", "/v2/team/app/manifests/v1", 304), (revalidation.Method, revalidation.PathAndQuery, revalidation.Status));
        Assert.Equal($"\"{digest}\"", revalidation.IfNoneMatch);
        Assert.Equal(0, revalidation.BodyBytes);

        // Confirmed again: within the new ttl, upstream is left alone once more.
        _proxy.Clear();
        await PullAsync($"{Prefix}/team/app", "v1");
        Assert.Empty(UpstreamRegistryRequests());
    }

    [Fact]
    public async Task AnUpstreamThatIgnoresIfNoneMatch_IsCheckedWithAHeadFromThenOn_AndNoBodyComesAgain()
    {
        var digest = await _upstream.Registry.PushImageAsync("team/app", "v1", TestImage.FromSeed(13));
        await PullAsync($"{Prefix}/team/app", "v1");
        _proxy.IgnoreConditions = true;

        _time.Advance(Ttl + TimeSpan.FromSeconds(1));
        _proxy.Clear();
        await PullAsync($"{Prefix}/team/app", "v1");
        var first = Assert.Single(UpstreamRegistryRequests());
        Assert.Equal(("GET", 200), (first.Method, first.Status)); // the condition was dropped: the body came back

        _time.Advance(Ttl + TimeSpan.FromSeconds(1));
        _proxy.Clear();
        Assert.Equal(digest.ToString(), (await PullAsync($"{Prefix}/team/app", "v1")).Digest);
        var second = Assert.Single(UpstreamRegistryRequests());
        Assert.Equal(("HEAD", "/v2/team/app/manifests/v1", 200, 0L), (second.Method, second.PathAndQuery, second.Status, second.BodyBytes));

        // A move is still noticed: the HEAD shows another digest, then the new manifest is fetched.
        var moved = await _upstream.Registry.PushImageAsync("team/app", "v1", TestImage.FromSeed(14));
        _time.Advance(Ttl + TimeSpan.FromSeconds(1));
        Assert.Equal(moved.ToString(), (await PullAsync($"{Prefix}/team/app", "v1")).Digest);
    }

    [Fact]
    public async Task UpstreamMovesTheTag_TheNextPullAfterTtlGetsTheNewDigest_AndTheTagHistoryRecordsTheMove()
    {
        var old = await _upstream.Registry.PushImageAsync("team/app", "latest", TestImage.FromSeed(2));
        Assert.Equal(old.ToString(), (await PullAsync($"{Prefix}/team/app", "latest")).Digest);
        var moved = await _upstream.Registry.PushImageAsync("team/app", "latest", TestImage.FromSeed(3));

        // Within the ttl the cache still serves what it confirmed.
        Assert.Equal(old.ToString(), (await PullAsync($"{Prefix}/team/app", "latest")).Digest);
        _time.Advance(Ttl + TimeSpan.FromSeconds(1));
        Assert.Equal(moved.ToString(), (await PullAsync($"{Prefix}/team/app", "latest")).Digest);

        using var history = JsonDocument.Parse(await _cache.Client.GetStringAsync($"/v2/{Prefix}/team/app/_berth/history/latest"));
        var moves = history.RootElement.GetProperty("moves").EnumerateArray().ToList();
        Assert.Contains(moves, move => move.GetProperty("from").GetString() == old.ToString() && move.GetProperty("to").GetString() == moved.ToString()
            && move.GetProperty("actor").GetString()!.StartsWith("cache:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UpstreamDown_ACachedTagIsServedStale_AndAnUncachedOneFailsAtOnceWithAClearError()
    {
        var digest = await _upstream.Registry.PushImageAsync("team/app", "v1", TestImage.FromSeed(4));
        await PullAsync($"{Prefix}/team/app", "v1");
        await _upstream.Registry.PushImageAsync("team/other", "v1", TestImage.FromSeed(5));

        _proxy.Down = true;
        _time.Advance(Ttl + TimeSpan.FromSeconds(1));
        Assert.Equal(digest.ToString(), (await PullAsync($"{Prefix}/team/app", "v1")).Digest);
        // Having failed once, upstream is left alone for a while: a hanging upstream costs one timeout, not one per pull.
        _proxy.Clear();
        Assert.Equal(digest.ToString(), (await PullAsync($"{Prefix}/team/app", "v1")).Digest);
        Assert.Empty(UpstreamRegistryRequests());

        var started = DateTime.UtcNow;
        using var uncached = await GetManifestAsync($"{Prefix}/team/other", "v1");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, uncached.StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "an unreachable upstream must fail fast, not hang");
        var body = await uncached.Content.ReadAsStringAsync();
        Assert.Contains("TOOMANYREQUESTS", body);
        Assert.Contains(_proxy.Address.Authority, body);
        Assert.NotNull(uncached.Headers.RetryAfter);

        // Past maxStale the stale copy is no longer served.
        _time.Advance(TimeSpan.FromHours(2));
        using var expired = await GetManifestAsync($"{Prefix}/team/app", "v1");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, expired.StatusCode);
    }

    [Fact]
    public async Task SixteenConcurrentPulls_OfAnUncachedLayer_MakeOneUpstreamTransfer_AndAllAreByteIdentical()
    {
        var layer = OciContent.RandomBytes(64 << 20, seed: 7);
        var image = TestImage.Create(OciContent.Config(7), layer);
        await _upstream.Registry.PushImageAsync("team/big", "v1", image);
        await PullAsync($"{Prefix}/team/big", "v1");
        var layerDigest = ContentDigest.Sha256(layer);
        _proxy.Clear();

        var pulls = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var client = _cache.NewClient();
            return await client.GetByteArrayAsync($"/v2/{Prefix}/team/big/blobs/{layerDigest}");
        }));

        Assert.All(pulls, pulled => Assert.Equal(layerDigest, ContentDigest.Sha256(pulled)));
        var transfers = UpstreamRegistryRequests().Where(r => r.Method == "GET" && r.PathAndQuery.EndsWith(layerDigest, StringComparison.Ordinal)).ToList();
        Assert.Single(transfers);
        Assert.Equal(layer.Length, transfers[0].BodyBytes);
    }

    [Fact]
    public async Task AnUpstreamSendingBytesThatDoNotMatchTheDigest_GivesTheClientAnError_AndNothingIsCached()
    {
        var image = TestImage.FromSeed(8, layerSize: 10_000);
        await _upstream.Registry.PushImageAsync("team/app", "v1", image);
        await PullAsync($"{Prefix}/team/app", "v1");
        var (layer, content) = image.Blobs.Last();

        _proxy.CorruptBlobs = true;
        // The first client gets the bytes as they arrive; the mismatch, found once the last byte is in, breaks its
        // response off before it completes, so the client cannot take the bytes for the blob.
        await Assert.ThrowsAsync<HttpRequestException>(() => _cache.Client.GetByteArrayAsync($"/v2/{Prefix}/team/app/blobs/{layer}"));
        Assert.False((await _cache.Registry.Blobs.ReadAsync($"{Prefix}/team/app", layer, Oci.Preconditions.RequestPreconditions.None)).IsSuccess);

        _proxy.CorruptBlobs = false;
        Assert.Equal(content, await _cache.Client.GetByteArrayAsync($"/v2/{Prefix}/team/app/blobs/{layer}"));
    }

    [Fact]
    public async Task TheRequestThatStartsAFetch_GetsTheBlobStreamed_AndARangeRequestIsAnsweredFromTheStoredCopy()
    {
        var image = TestImage.FromSeed(12, layerSize: 300_000);
        await _upstream.Registry.PushImageAsync("team/app", "v1", image);
        await PullAsync($"{Prefix}/team/app", "v1");
        var (layer, content) = image.Blobs.Last();

        using var streamed = await _cache.Client.GetAsync($"/v2/{Prefix}/team/app/blobs/{layer}");
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.Equal(layer, streamed.Headers.GetValues("Docker-Content-Digest").Single());
        Assert.Equal($"\"{layer}\"", streamed.Headers.ETag!.Tag);
        Assert.Equal(content, await streamed.Content.ReadAsByteArrayAsync());
        Assert.True((await _cache.Registry.Blobs.ReadAsync($"{Prefix}/team/app", layer, Oci.Preconditions.RequestPreconditions.None)).IsSuccess);

        var (other, otherContent) = image.Blobs.First();
        using var ranged = new HttpRequestMessage(HttpMethod.Get, $"/v2/{Prefix}/team/app/blobs/{other}");
        ranged.Headers.Range = new RangeHeaderValue(1, 4);
        using var partial = await _cache.Client.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(otherContent[1..5], await partial.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AManifestByDigest_IsFetchedOnce_AndNeverRevalidated()
    {
        var digest = await _upstream.Registry.PushImageAsync("team/app", "v1", TestImage.FromSeed(9));
        Assert.Equal(digest.ToString(), (await PullAsync($"{Prefix}/team/app", digest.ToString())).Digest);
        // Long past any ttl, short of the default eviction (30 days unpulled), which the server's GC timer runs.
        _time.Advance(TimeSpan.FromDays(20));
        _proxy.Clear();
        for (var i = 0; i < 10; i++) Assert.Equal(digest.ToString(), (await PullAsync($"{Prefix}/team/app", digest.ToString())).Digest);
        Assert.Empty(UpstreamRegistryRequests());
    }

    [Theory]
    [InlineData("PUT", "manifests/v1")]
    [InlineData("DELETE", "manifests/v1")]
    [InlineData("POST", "blobs/uploads/")]
    [InlineData("DELETE", "blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    public async Task WritesUnderACachedPrefix_Are405Unsupported_NamingTheUpstream(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), $"/v2/{Prefix}/team/app/{path}") { Content = new ByteArrayContent([]) };
        using var response = await _cache.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("UNSUPPORTED", body);
        Assert.Contains(_proxy.Address.Authority, body);
        Assert.Empty(UpstreamRegistryRequests());
    }

    [Fact]
    public async Task RepositoriesOutsideEveryPrefix_StayOrdinaryPushableRepositories()
    {
        var digest = await _cache.Registry.PushImageAsync("local/app", "v1", TestImage.FromSeed(10));
        Assert.Equal(digest.ToString(), (await PullAsync("local/app", "v1")).Digest);
        Assert.Empty(UpstreamRegistryRequests());
    }

    [Fact]
    public async Task MirrorMode_APlainNameWithNs_IsServedFromTheUpstreamThatMirrorsThatHost()
    {
        var image = TestImage.FromSeed(11);
        var digest = await _upstream.Registry.PushImageAsync("library/busybox", "1.36", image);

        using var response = await GetManifestAsync("library/busybox", "1.36", "?ns=docker.io");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(digest.ToString(), response.Headers.GetValues("Docker-Content-Digest").Single());
        var (layer, content) = image.Blobs.Last();
        Assert.Equal(content, await _cache.Client.GetByteArrayAsync($"/v2/library/busybox/blobs/{layer}?ns=docker.io"));
        // Stored under the cache's own name; the plain name is still free for local pushes.
        Assert.True(_cache.Registry.Manifests.Read($"{Prefix}/library/busybox", "1.36", Oci.Preconditions.RequestPreconditions.None).IsSuccess);
        using var plain = await GetManifestAsync("library/busybox", "1.36");
        Assert.Equal(HttpStatusCode.NotFound, plain.StatusCode);
    }

    /// <summary>Requests that reached the upstream registry API, leaving out the token service's.</summary>
    private List<ForwardedRequest> UpstreamRegistryRequests() =>
        _proxy.Requests.Where(r => r.PathAndQuery.StartsWith("/v2/", StringComparison.Ordinal) && r.PathAndQuery != "/v2/" && r.Status != 401).ToList();

    private async Task<HttpResponseMessage> GetManifestAsync(string name, string reference, string query = "")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{name}/manifests/{reference}{query}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciManifest));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciIndex));
        return await _cache.Client.SendAsync(request);
    }

    private async Task<(string Digest, byte[] Body)> PullAsync(string name, string reference)
    {
        using var response = await GetManifestAsync(name, reference);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name}:{reference} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var body = await response.Content.ReadAsByteArrayAsync();
        var digest = response.Headers.GetValues("Docker-Content-Digest").Single();
        Assert.Equal(digest, ContentDigest.Sha256(body));
        return (digest, body);
    }
}
