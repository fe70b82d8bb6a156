using System.Net.Http.Headers;
using System.Text.Json;
using Berth.Oci.Manifests;

namespace Berth.Migration.Tests;

/// <summary>
/// <c>berth import distribution</c>: a storage tree written by Debian's docker-registry (CNCF Distribution 2.8),
/// images pushed into it with skopeo, imported, then pulled from Berth byte for byte.
/// </summary>
public sealed class DistributionImportTests
{
    private static readonly byte[] SharedLayer = RegistryContent.GzipLayer(1);

    // Two repositories (three, nested names) sharing a layer; two tags on one manifest; a multi-arch index.
    private static readonly PushedManifest App = RegistryContent.Image(10, SharedLayer, RegistryContent.GzipLayer(2));
    private static readonly PushedManifest Base = RegistryContent.Image(30, SharedLayer);
    private static readonly PushedManifest Multi = RegistryContent.Index(
        (RegistryContent.Image(20, SharedLayer, RegistryContent.GzipLayer(3)), "amd64"),
        (RegistryContent.Image(21, RegistryContent.GzipLayer(4)), "arm64"));

    private static readonly (string Repository, string Tag, PushedManifest Manifest)[] Pushed =
    [
        ("team/app", "v1", App),
        ("team/app", "latest", App),
        ("base", "stable", Base),
        ("team/tools/multi", "1.0", Multi),
    ];

    // Docker schema 2, as docker push leaves it in most Distribution registries.
    private static readonly PushedManifest Docker = RegistryContent.DockerImage(40, SharedLayer, RegistryContent.GzipLayer(5));
    private static readonly PushedManifest DockerList = RegistryContent.DockerList(
        (RegistryContent.DockerImage(41, RegistryContent.GzipLayer(6)), "amd64"),
        (RegistryContent.DockerImage(42, RegistryContent.GzipLayer(7)), "arm64"));

    private static readonly (string Repository, string Tag, PushedManifest Manifest)[] PushedOverHttp =
    [
        ("legacy/docker", "v2s2", Docker),
        ("legacy/docker", "list", DockerList),
    ];

    [Fact]
    public async Task Images_pushed_to_docker_registry_pull_from_Berth_byte_identical_after_import()
    {
        await using var distribution = await DistributionRegistry.StartAsync();
        foreach (var (repository, tag, manifest) in Pushed) await distribution.PushAsync(manifest, repository, tag);
        foreach (var (repository, tag, manifest) in PushedOverHttp) await distribution.PushOverHttpAsync(manifest, repository, tag);

        // What Distribution serves, to compare Berth's answers with.
        using var distributionHttp = new HttpClient { BaseAddress = new Uri($"http://{distribution.Host}/") };
        var expectedCatalog = await CatalogAsync(distributionHttp);
        Assert.Equal(["base", "legacy/docker", "team/app", "team/tools/multi"], expectedCatalog);
        var expectedTags = new Dictionary<string, List<string>>();
        foreach (var repository in expectedCatalog) expectedTags[repository] = await TagsAsync(distributionHttp, repository);
        await distribution.StopAsync();

        var data = TemporaryFolder.NewPath("berth-import");
        try
        {
            Assert.Equal(0, await BerthCommandLine.RunAsync(["import", "distribution", distribution.StorageRoot, "--data", data]));
            // Again: nothing left to do, nothing changes, still complete.
            Assert.Equal(0, await BerthCommandLine.RunAsync(["import", "distribution", distribution.StorageRoot, "--data", data]));

            // The import wrote the embedded stores of this folder, whatever the suite's backend.
            await using var berth = await InProcessBerth.StartAsync(dataDirectory: data, backend: TestBackend.Embedded);
            Assert.Equal(expectedCatalog, await CatalogAsync(berth.Client));
            foreach (var repository in expectedCatalog) Assert.Equal(expectedTags[repository], await TagsAsync(berth.Client, repository));

            foreach (var (repository, tag, manifest) in Pushed.Concat(PushedOverHttp))
            {
                var (byTag, tagDigest) = await GetManifestAsync(berth.Client, repository, tag);
                Assert.Equal(manifest.Content, byTag);
                Assert.Equal(manifest.Digest, tagDigest);
                foreach (var item in RegistryContent.Closure(manifest))
                {
                    var (byDigest, digest) = await GetManifestAsync(berth.Client, repository, item.Digest);
                    Assert.Equal(item.Content, byDigest);
                    Assert.Equal(item.Digest, digest);
                    foreach (var (blobDigest, content) in item.Blobs)
                    {
                        var blob = await berth.Client.GetByteArrayAsync($"v2/{repository}/blobs/{blobDigest}");
                        Assert.Equal(content, blob);
                    }
                }
            }

            // A real client pulls the index and all its platforms, digests preserved.
            var pulled = TemporaryFolder.NewPath("berth-import-pull");
            try
            {
                await distribution.SkopeoAsync("copy", "--insecure-policy", "--preserve-digests", "--all", "--src-tls-verify=false",
                    $"docker://{berth.Host}/team/tools/multi:1.0", $"oci:{pulled}:pulled");
                foreach (var item in RegistryContent.Closure(Multi))
                {
                    Assert.Equal(item.Content, await File.ReadAllBytesAsync(Path.Combine(pulled, "blobs", "sha256", item.Digest["sha256:".Length..])));
                }
            }
            finally
            {
                TemporaryFolder.Delete(pulled);
            }
        }
        finally
        {
            TemporaryFolder.Delete(data);
        }
    }

    private static async Task<List<string>> CatalogAsync(HttpClient http)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync("v2/_catalog"));
        return [.. document.RootElement.GetProperty("repositories").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal)];
    }

    private static async Task<List<string>> TagsAsync(HttpClient http, string repository)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync($"v2/{repository}/tags/list"));
        return [.. document.RootElement.GetProperty("tags").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal)];
    }

    private static async Task<(byte[] Content, string? Digest)> GetManifestAsync(HttpClient http, string repository, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v2/{repository}/manifests/{reference}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciManifest));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciIndex));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.DockerManifest));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.DockerManifestList));
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"GET {repository}:{reference}: {(int)response.StatusCode}");
        var digest = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.Single() : null;
        return (await response.Content.ReadAsByteArrayAsync(), digest);
    }
}
