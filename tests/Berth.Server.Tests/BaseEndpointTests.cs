using System.Net;
using Berth.Server.Tests.Support;

namespace Berth.Server.Tests;

/// <summary>end-1: GET /v2/.</summary>
public sealed class BaseEndpointTests
{
    [Fact]
    public async Task Get_ReturnsOkWithApiVersionAndConditionalSupportHeaders()
    {
        await using var registry = await InProcessBerth.StartAsync();
        using var response = await registry.Client.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("registry/2.0", response.Header("Docker-Distribution-API-Version"));
        Assert.Equal("yes", response.Header("OCI-Distribution-RFC7232"));
    }

    [Fact]
    public async Task PushedImage_CanBePulledByTag()
    {
        await using var registry = await InProcessBerth.StartAsync();
        var digest = await registry.Client.PushImageAsync("library/app", "v1", seed: 1);
        using var response = await registry.Client.GetAsync("/v2/library/app/manifests/v1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        Assert.Equal($"\"{digest}\"", response.Header("ETag"));
    }
}
