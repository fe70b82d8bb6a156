using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Berth.Cache.Configuration;
using Berth.Interop.Tests.Support;
using Berth.Oci.Preconditions;
using Xunit.Abstractions;

namespace Berth.Interop.Tests;

/// <summary>
/// The pull-through cache with real clients. One in-process Berth plays the upstream registry (its image pushed
/// with skopeo); a second one caches it under "dockerhub" and mirrors docker.io. skopeo and podman pull through
/// the prefix, podman through a registries.conf mirror, containerd through a hosts.toml mirror (?ns=docker.io).
/// There is no internet here, so a pull of docker.io/… that succeeds can only have been served by the cache.
/// </summary>
[Trait("Category", "Interop")]
public sealed class PullThroughCacheInteropTests(ITestOutputHelper output)
{
    private const string Prefix = "dockerhub";

    /// <summary>A single-segment name: both containers/image and containerd pull docker.io/&lt;it&gt; as library/&lt;it&gt;.</summary>
    private const string OfficialName = "berth-interop";

    /// <summary>A client that cannot get an answer must say so well before this, not hang.</summary>
    private static readonly TimeSpan FailureBound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task PullThroughPrefix_IsByteIdentical_AndKeepsWorkingForSkopeoAndPodmanOnceUpstreamIsGone()
    {
        await using var sandbox = Sandbox.Create(output);
        var source = OciLayout.Create(sandbox.Folder("source"));
        var image = Images.BusyboxImage(source, "amd64", refName: "v1");
        var cached = $"{Prefix}/interop/app";
        InProcessBerth cache;
        string upstreamHost;
        await using (var upstream = await InProcessBerth.StartAsync())
        {
            upstreamHost = upstream.Host;
            await PushWithSkopeoAsync(sandbox, source, "v1", $"{upstream.Host}/interop/app:v1");
            // A zero ttl makes every later tag read ask upstream, so the pulls below, made with upstream gone,
            // must be answered from the stale copy rather than from a tag still within its ttl.
            cache = sandbox.Own(await StartCacheAsync(upstream, ttl: TimeSpan.Zero));

            var first = OciLayout.Create(sandbox.Folder("first"));
            await Skopeo(sandbox, "copy", "--src-tls-verify=false", $"docker://{cache.Host}/{cached}:v1", $"oci:{first.Path}:v1");

            Assert.Equal(image.Manifest.Digest, first.Resolve("v1").Digest);
            SkopeoTests.AssertSameBlobs(source, first, image.Manifest);
            Assert.Equal(image.Manifest.Digest, StoredDigest(cache, cached, "v1"));
        }

        // Upstream is stopped: its port refuses connections, and only the cache's copy can answer.
        var again = OciLayout.Create(sandbox.Folder("again"));
        await Skopeo(sandbox, "copy", "--src-tls-verify=false", $"docker://{cache.Host}/{cached}:v1", $"oci:{again.Path}:v1");
        Assert.Equal(image.Manifest.Digest, again.Resolve("v1").Digest);
        SkopeoTests.AssertSameBlobs(source, again, image.Manifest);
        var raw = await Skopeo(sandbox, "inspect", "--raw", "--tls-verify=false", $"docker://{cache.Host}/{cached}:v1");
        Assert.Equal(source.ReadBlob(image.Manifest.Digest), System.Text.Encoding.UTF8.GetBytes(raw.Output));

        var storage = Storage.Create(sandbox, "puller");
        await Podman(sandbox, storage, "pull", "--tls-verify=false", $"{cache.Host}/{cached}:v1");
        var inspected = JsonNode.Parse((await Podman(sandbox, storage, "image", "inspect", $"{cache.Host}/{cached}:v1")).Output)![0]!;
        Assert.Equal(image.Manifest.Digest, (string)inspected["Digest"]!);
        Assert.Equal(image.Config.Digest, "sha256:" + (string)inspected["Id"]!);

        // Never pulled, so nothing stale to serve: both clients must fail, and quickly (the cache answers 503 at once).
        var neverPulled = $"{cache.Host}/{Prefix}/interop/never:v1";
        var started = Stopwatch.GetTimestamp();
        var skopeoRefused = await sandbox.TryRunAsync(ThirdPartyClient.Skopeo,
            ["copy", "--src-tls-verify=false", $"docker://{neverPulled}", $"oci:{sandbox.Folder("never")}:v1"], timeout: FailureBound);
        Assert.NotEqual(0, skopeoRefused.ExitCode);
        Assert.Contains("503", skopeoRefused.Error);
        var podmanRefused = await sandbox.TryRunAsync(ThirdPartyClient.Podman, [.. storage.Flags(), "pull", "--tls-verify=false", neverPulled],
            timeout: FailureBound);
        Assert.NotEqual(0, podmanRefused.ExitCode);
        Assert.Contains("503", podmanRefused.Error);
        Assert.True(Stopwatch.GetElapsedTime(started) < FailureBound, $"the failing pulls took {Stopwatch.GetElapsedTime(started)}");
        Assert.Null(StoredDigest(cache, $"{Prefix}/interop/never", "v1"));
        // containers/image reads the error body of 4xx responses only (docker/distribution's HandleErrorResponse), so
        // both clients above show just "503 Service Unavailable"; what went wrong is in the body, for clients that read it.
        using var refusal = await cache.Client.GetAsync($"/v2/{Prefix}/interop/never/manifests/v1");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refusal.StatusCode);
        Assert.NotNull(refusal.Headers.RetryAfter);
        Assert.Contains($"the upstream {upstreamHost} of this pull-through cache failed for interop/never:v1", await refusal.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PodmanWithRegistriesConfMirror_PullsDockerIoNameThroughTheCache()
    {
        await using var sandbox = Sandbox.Create(output);
        var source = OciLayout.Create(sandbox.Folder("source"));
        var image = Images.BusyboxImage(source, "amd64", refName: "v1");
        await using var upstream = await InProcessBerth.StartAsync();
        await PushWithSkopeoAsync(sandbox, source, "v1", $"{upstream.Host}/library/{OfficialName}:v1");
        var cache = sandbox.Own(await StartCacheAsync(upstream, ttl: TimeSpan.FromMinutes(5)));
        File.AppendAllText(sandbox.RegistriesConf, $"""

            [[registry]]
            prefix = "docker.io"
            location = "docker.io"

            [[registry.mirror]]
            location = "{cache.Host}/{Prefix}"
            insecure = true

            """);

        var storage = Storage.Create(sandbox, "mirrored");
        // No TLS flag: the plain-HTTP permission comes from the mirror's entry, as it would on a real machine.
        await sandbox.RunAsync(ThirdPartyClient.Podman, [.. storage.Flags(), "pull", $"docker.io/{OfficialName}:v1"], timeout: FailureBound);

        var inspected = JsonNode.Parse((await Podman(sandbox, storage, "image", "inspect", $"docker.io/library/{OfficialName}:v1")).Output)![0]!;
        Assert.Equal(image.Manifest.Digest, (string)inspected["Digest"]!);
        Assert.Equal(image.Config.Digest, "sha256:" + (string)inspected["Id"]!);
        // containers/image asks the mirror for <mirror path>/library/<name>: the cache stored it under its prefix.
        Assert.Equal(image.Manifest.Digest, StoredDigest(cache, $"{Prefix}/library/{OfficialName}", "v1"));
    }

    [Fact]
    public async Task CtrWithHostsTomlMirror_PullsDockerIoNameThroughTheCacheByNamespace()
    {
        await using var sandbox = Sandbox.Create(output);
        var source = OciLayout.Create(sandbox.Folder("source"));
        var image = Images.BusyboxImage(source, "amd64", refName: "v1");
        await using var upstream = await InProcessBerth.StartAsync();
        await PushWithSkopeoAsync(sandbox, source, "v1", $"{upstream.Host}/library/{OfficialName}:v1");
        var cache = sandbox.Own(await StartCacheAsync(upstream, ttl: TimeSpan.FromMinutes(5)));
        var containerd = await Containerd.StartAsync(sandbox);
        // The mirror is the cache's root, not a prefix under it: containerd sends plain names with ?ns=docker.io,
        // and the cache's MirrorOf maps them to dockerhub/<name>.
        var hostsDirectory = sandbox.Folder("certs.d");
        File.WriteAllText(Path.Combine(sandbox.Folder("certs.d/docker.io"), "hosts.toml"), $"""
            server = "https://registry-1.docker.io"

            [host."http://{cache.Host}"]
              capabilities = ["pull", "resolve"]
            """);

        await containerd.CtrAsync("images", "pull", "--hosts-dir", hostsDirectory, $"docker.io/library/{OfficialName}:v1");

        var listed = (await containerd.CtrAsync("images", "ls")).Output;
        Assert.Contains(listed.Split('\n'), l => l.StartsWith($"docker.io/library/{OfficialName}:v1 ") && l.Contains(image.Manifest.Digest));
        foreach (var blob in source.Closure(image.Manifest))
        {
            Assert.Equal((blob.Digest, blob.Size), await containerd.HashContentAsync(blob.Digest));
        }
        Assert.Equal(image.Manifest.Digest, StoredDigest(cache, $"{Prefix}/library/{OfficialName}", "v1"));
    }

    /// <summary>A second Berth caching <paramref name="upstream"/> under <see cref="Prefix"/>, and mirroring docker.io from it.</summary>
    private static Task<InProcessBerth> StartCacheAsync(InProcessBerth upstream, TimeSpan ttl) =>
        InProcessBerth.StartAsync(server: o => o with
        {
            Cache = new CacheOptions
            {
                Upstreams =
                [
                    new UpstreamOptions
                    {
                        Prefix = Prefix,
                        Url = $"http://{upstream.Host}",
                        RemotePrefix = null,
                        Ttl = ttl,
                        // A stopped upstream refuses at once on loopback; the bound only matters if something hangs.
                        Timeout = TimeSpan.FromSeconds(10),
                        MirrorOf = ["docker.io"],
                        DefaultMirror = false,
                    },
                ],
            },
        });

    /// <summary>
    /// The digest the cache itself holds under <paramref name="tag"/>, read from its registry rather than over HTTP,
    /// which would make the cache fetch it.
    /// </summary>
    private static string? StoredDigest(InProcessBerth cache, string repository, string tag)
    {
        var read = cache.Registry.Manifests.Read(repository, tag, RequestPreconditions.None);
        return read.IsSuccess ? read.Value!.Manifest.Digest.ToString() : null;
    }

    private static Task PushWithSkopeoAsync(Sandbox sandbox, OciLayout source, string refName, string destination) =>
        Skopeo(sandbox, "copy", "--dest-tls-verify=false", $"oci:{source.Path}:{refName}", $"docker://{destination}");

    private static Task<CommandResult> Skopeo(Sandbox sandbox, params string[] arguments) => sandbox.RunAsync(ThirdPartyClient.Skopeo, arguments);

    private static Task<CommandResult> Podman(Sandbox sandbox, Storage storage, params string[] arguments) =>
        sandbox.RunAsync(ThirdPartyClient.Podman, storage.Flags().Concat(arguments));
}
