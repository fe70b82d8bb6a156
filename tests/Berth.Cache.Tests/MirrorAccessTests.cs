using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Berth.Auth;
using Berth.Auth.Access;
using Berth.Auth.Users;
using Berth.Cache.Configuration;

namespace Berth.Cache.Tests;

/// <summary>
/// A mirrored pull is judged by the access rules under its local (cache) name, whatever spelling of the ns
/// parameter asks for it: rights on the plain name open nothing in the cache.
/// </summary>
public sealed class MirrorAccessTests
{
    [Theory]
    [InlineData("?ns=docker.io")]
    [InlineData("?NS=docker.io")]
    [InlineData("?Ns=DOCKER.IO")]
    [InlineData("?ns=docker.io&ns=docker.io")]
    [InlineData("?ns=docker%2Eio")]
    public async Task RightsOnThePlainNameOnly_NeverReadTheCacheThroughAMirroredPull(string query)
    {
        await using var upstream = await InProcessBerth.StartAsync();
        await upstream.Registry.PushImageAsync("library/busybox", "1", TestImage.FromSeed(70));
        await using var cache = await InProcessBerth.StartAsync(server: options => options with
        {
            Auth = new AuthOptions
            {
                Users =
                [
                    new ConfiguredUser { Name = "plain", PasswordHash = BcryptPassword.Hash("plain-secret", 4) },
                    new ConfiguredUser { Name = "cached", PasswordHash = BcryptPassword.Hash("cached-secret", 4) },
                ],
                Access =
                [
                    new AccessRule { Repositories = "library/**", Users = ["plain"], Actions = ["pull", "push"] },
                    new AccessRule { Repositories = "dockerhub/**", Users = ["cached"], Actions = ["pull"] },
                ],
            },
            Cache = new CacheOptions
            {
                Upstreams = [new UpstreamOptions { Prefix = "dockerhub", Url = upstream.Address.ToString().TrimEnd('/'), MirrorOf = ["docker.io"] }],
            },
        });
        using var refused = await PullAsync(cache, query, "plain:plain-secret");
        // 403 when the spelling maps to the cache's name; 404 when it does not map (repeated ns keys): then it is an
        // ordinary read of the plain name, which holds nothing. Never the cached content.
        Assert.Contains(refused.StatusCode, new[] { HttpStatusCode.Forbidden, HttpStatusCode.NotFound });
        Assert.False(cache.Registry.Manifests.Read("dockerhub/library/busybox", "1", Oci.Preconditions.RequestPreconditions.None).IsSuccess);

        // The control: rights on the cache's name read it through the same mirrored pull.
        using var allowed = await PullAsync(cache, "?ns=docker.io", "cached:cached-secret");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    private static async Task<HttpResponseMessage> PullAsync(InProcessBerth cache, string query, string credentials)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/library/busybox/manifests/1{query}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciManifest));
        return await cache.Client.SendAsync(request);
    }
}
