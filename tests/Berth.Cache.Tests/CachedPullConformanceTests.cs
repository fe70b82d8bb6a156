using System.Net;
using System.Net.Http.Headers;
using Berth.Cache.Configuration;
using Berth.Registry.Operations;

namespace Berth.Cache.Tests;

/// <summary>
/// The pull checks of the distribution-spec conformance suite (end-2, end-3, end-8), against the cache for content
/// only the upstream holds: every answer must be what a registry holding the content itself would give.
/// </summary>
public sealed class CachedPullConformanceTests : IAsyncLifetime
{
    private const string Prefix = "hub";
    private InProcessBerth _upstream = null!;
    private InProcessBerth _cache = null!;

    public async Task InitializeAsync()
    {
        _upstream = await InProcessBerth.StartAsync();
        _cache = await InProcessBerth.StartAsync(server: options => options with
        {
            Cache = new CacheOptions { Upstreams = [new UpstreamOptions { Prefix = Prefix, Url = _upstream.Address.ToString().TrimEnd('/') }] },
        });
    }

    public async Task DisposeAsync()
    {
        await _cache.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    [Fact]
    public async Task ManifestsByTagAndDigest_GetAndHead_AnswerAsTheUpstreamDoes()
    {
        var image = TestImage.FromSeed(40, layerSize: 2000);
        var digest = (await _upstream.Registry.PushImageAsync("conf/app", "v1", image)).ToString();
        foreach (var reference in new[] { "v1", digest })
        {
            using var get = await SendAsync(HttpMethod.Get, $"{Prefix}/conf/app/manifests/{reference}");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(MediaTypes.OciManifest, get.Content.Headers.ContentType!.MediaType);
            Assert.Equal(digest, get.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Equal(image.Manifest, await get.Content.ReadAsByteArrayAsync());

            using var head = await SendAsync(HttpMethod.Head, $"{Prefix}/conf/app/manifests/{reference}");
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(image.Manifest.Length, head.Content.Headers.ContentLength);
            Assert.Equal(digest, head.Headers.GetValues("Docker-Content-Digest").Single());
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Blobs_GetHeadAndRange_AnswerAsTheUpstreamDoes()
    {
        var image = TestImage.FromSeed(41, layerSize: 5000);
        await _upstream.Registry.PushImageAsync("conf/app", "v1", image);
        var (layer, content) = image.Blobs.Last();

        using var head = await SendAsync(HttpMethod.Head, $"{Prefix}/conf/app/blobs/{layer}");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(content.Length, head.Content.Headers.ContentLength);
        Assert.Equal(layer, head.Headers.GetValues("Docker-Content-Digest").Single());

        using var get = await SendAsync(HttpMethod.Get, $"{Prefix}/conf/app/blobs/{layer}");
        Assert.Equal(content, await get.Content.ReadAsByteArrayAsync());

        using var range = new HttpRequestMessage(HttpMethod.Get, $"/v2/{Prefix}/conf/app/blobs/{layer}");
        range.Headers.Range = new RangeHeaderValue(10, 19);
        using var partial = await _cache.Client.SendAsync(range);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(content[10..20], await partial.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AnIndex_AndThenItsPlatformManifestsByDigest_AreServed()
    {
        var amd64 = TestImage.FromSeed(42);
        var arm64 = TestImage.FromSeed(43);
        foreach (var image in new[] { amd64, arm64 }) await _upstream.Registry.PushImageAsync("conf/multi", image.Digest, image);
        var index = OciContent.Bytes(OciContent.Index([
            OciContent.Descriptor(MediaTypes.OciManifest, amd64.Manifest), OciContent.Descriptor(MediaTypes.OciManifest, arm64.Manifest)]));
        var pushed = await _upstream.Registry.Manifests.PutAsync(new ManifestPut
        {
            Name = "conf/multi", Reference = "latest", ContentType = MediaTypes.OciIndex, Body = new MemoryStream(index),
        }, CancellationToken.None);
        Assert.True(pushed.IsSuccess, pushed.Error?.Message);

        using var got = await SendAsync(HttpMethod.Get, $"{Prefix}/conf/multi/manifests/latest");
        Assert.Equal(MediaTypes.OciIndex, got.Content.Headers.ContentType!.MediaType);
        Assert.Equal(index, await got.Content.ReadAsByteArrayAsync());
        using var child = await SendAsync(HttpMethod.Get, $"{Prefix}/conf/multi/manifests/{arm64.Digest}");
        Assert.Equal(arm64.Manifest, await child.Content.ReadAsByteArrayAsync());
        var (layer, content) = arm64.Blobs.Last();
        Assert.Equal(content, await _cache.Client.GetByteArrayAsync($"/v2/{Prefix}/conf/multi/blobs/{layer}"));
    }

    [Fact]
    public async Task WhatUpstreamDoesNotHave_Is404WithTheSpecCodes()
    {
        await _upstream.Registry.PushImageAsync("conf/app", "v1", TestImage.FromSeed(44));
        await SendAsync(HttpMethod.Get, $"{Prefix}/conf/app/manifests/v1");

        Assert.Equal("MANIFEST_UNKNOWN", await ErrorCodeAsync($"{Prefix}/conf/app/manifests/missing"));
        Assert.Equal("MANIFEST_UNKNOWN", await ErrorCodeAsync($"{Prefix}/conf/app/manifests/sha256:{new string('a', 64)}"));
        Assert.Equal("BLOB_UNKNOWN", await ErrorCodeAsync($"{Prefix}/conf/app/blobs/sha256:{new string('b', 64)}"));
        Assert.Contains(await ErrorCodeAsync($"{Prefix}/conf/nothing/manifests/v1"), new[] { "NAME_UNKNOWN", "MANIFEST_UNKNOWN" });
    }

    [Fact]
    public async Task TheTagsList_ShowsTheTagsPulledThroughTheCache()
    {
        await _upstream.Registry.PushImageAsync("conf/tags", "a", TestImage.FromSeed(45));
        await _upstream.Registry.PushImageAsync("conf/tags", "b", TestImage.FromSeed(46));
        await SendAsync(HttpMethod.Get, $"{Prefix}/conf/tags/manifests/a");
        await SendAsync(HttpMethod.Get, $"{Prefix}/conf/tags/manifests/b");
        var list = await _cache.Client.GetStringAsync($"/v2/{Prefix}/conf/tags/tags/list");
        Assert.Equal($$"""{"name":"{{Prefix}}/conf/tags","tags":["a","b"]}""", list);
    }

    private async Task<string> ErrorCodeAsync(string path)
    {
        using var response = await SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("errors")[0].GetProperty("code").GetString()!;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, $"/v2/{path}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciManifest));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciIndex));
        return await _cache.Client.SendAsync(request);
    }
}

/// <summary>docker's registry-mirrors: plain names without ns, served from the default mirror unless a local repository has them.</summary>
public sealed class DefaultMirrorTests
{
    [Fact]
    public async Task PlainNames_NoLocalRepositoryHolds_ComeFromTheDefaultMirror_AndLocalOnesStayLocal()
    {
        await using var upstream = await InProcessBerth.StartAsync();
        var mirrored = await upstream.Registry.PushImageAsync("library/alpine", "3", TestImage.FromSeed(60));
        await using var cache = await InProcessBerth.StartAsync(server: options => options with
        {
            Cache = new CacheOptions
            {
                Upstreams = [new UpstreamOptions { Prefix = "dockerhub", Url = upstream.Address.ToString().TrimEnd('/'), DefaultMirror = true }],
            },
        });
        var local = await cache.Registry.PushImageAsync("library/local", "3", TestImage.FromSeed(61));
        await upstream.Registry.PushImageAsync("library/local", "3", TestImage.FromSeed(62));

        Assert.Equal(mirrored.ToString(), await DigestOfAsync(cache, "library/alpine", "3"));
        Assert.True(cache.Registry.Manifests.Read("dockerhub/library/alpine", "3", Oci.Preconditions.RequestPreconditions.None).IsSuccess);
        Assert.Equal(local.ToString(), await DigestOfAsync(cache, "library/local", "3"));
    }

    private static async Task<string> DigestOfAsync(InProcessBerth cache, string name, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{name}/manifests/{reference}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciManifest));
        using var response = await cache.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("Docker-Content-Digest").Single();
    }
}
