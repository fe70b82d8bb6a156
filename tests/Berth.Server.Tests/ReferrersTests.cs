using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.ManifestBuilder;
using static Berth.Server.Tests.Support.RegistryContent;
using static Berth.Server.Tests.Support.RepositoryNames;

namespace Berth.Server.Tests;

/// <summary>distribution-spec "Listing Referrers" (end-12a/12b) and "Pushing Manifests with Subject".</summary>
public sealed class ReferrersTests(InProcessBerthFixture shared) : IClassFixture<InProcessBerthFixture>
{
    private const string Conf1 = "application/vnd.example.oci.conformance.v1";
    private const string Conf2 = "application/vnd.example.oci.conformance.v2";
    private const string BagelType = "application/vnd.nhl.peanut.butter.bagel";
    private const string CroissantType = "application/vnd.nba.strawberry.jam.croissant";
    private const string AnnotationKey = "org.opencontainers.conformance.test";

    private readonly HttpClient _client = shared.Client;

    [Fact]
    public async Task UnknownRepository_ReturnsEmptyIndex()
    {
        // The new suite's first probe: a repository that does not exist yet must still answer 200 with
        // an empty index ("the registry MUST NOT return a 404" when it supports referrers).
        using var response = await _client.GetAsync($"/v2/{Repo()}/never-pushed/referrers/{Sha256(RandomBytes(32, seed: 150))}");
        await AssertEmptyIndexAsync(response);
    }

    [Fact]
    public async Task UnknownSubject_ReturnsEmptyIndex()
    {
        var name = Repo();
        await _client.PushImageAsync(name, "v1", seed: 151);
        using var response = await _client.GetAsync($"/v2/{name}/referrers/{Sha256("hello world"u8.ToArray())}");
        await AssertEmptyIndexAsync(response);
    }

    [Fact]
    public async Task Referrers_DescribeEachManifestWithArtifactTypeAndAnnotations()
    {
        // The new suite's "Artifacts with Subject": a plain image with a subject (no artifactType, so
        // the config's mediaType stands in), and two artifacts with their own artifactType.
        var name = Repo();
        var subject = await PushSubjectAsync(name, seed: 152);

        var plain = await _client.PushImageBlobsAsync(name, seed: 153);
        plain["subject"] = subject.DeepClone();
        var plainDescriptor = await PushReferrerAsync(name, plain, subject);

        var first = await ArtifactAsync(name, Conf1, seed: 154, new() { ["org.opencontainers.conformance"] = "hello conformance test", ["org.example.x"] = "y" });
        first["subject"] = subject.DeepClone();
        var firstDescriptor = await PushReferrerAsync(name, first, subject, tag: "tagged-artifact1");

        var second = await ArtifactAsync(name, Conf2, seed: 155);
        second["subject"] = subject.DeepClone();
        var secondDescriptor = await PushReferrerAsync(name, second, subject, tag: "tagged-artifact2");

        using var response = await _client.GetAsync($"/v2/{name}/referrers/{DigestOf(subject)}");
        var entries = await AssertIndexAsync(response);
        Assert.Equal(3, entries.Count);
        AssertEntry(entries, plainDescriptor, MediaTypes.OciConfig, annotations: null);
        AssertEntry(entries, firstDescriptor, Conf1, new() { ["org.opencontainers.conformance"] = "hello conformance test", ["org.example.x"] = "y" });
        AssertEntry(entries, secondDescriptor, Conf2, annotations: null);
        Assert.False(response.Headers.Contains("OCI-Filters-Applied"));

        // The suite then filters on each artifactType, the config fallback included ("+" escaped).
        using var filtered = await _client.GetAsync($"/v2/{name}/referrers/{DigestOf(subject)}?artifactType={Uri.EscapeDataString(MediaTypes.OciConfig)}");
        var fallback = await AssertIndexAsync(filtered);
        Assert.Equal("artifactType", filtered.Header("OCI-Filters-Applied"));
        AssertEntry(fallback, plainDescriptor, MediaTypes.OciConfig, annotations: null);
        Assert.Single(fallback);
    }

    [Fact]
    public async Task IndexReferrer_OmitsArtifactTypeWhenItHasNone()
    {
        // end-12: "If the artifactType is empty or missing in an index, the artifactType MUST be omitted."
        var name = Repo();
        var subject = await PushSubjectAsync(name, seed: 156);
        var child = await _client.PushManifestAsync(name, await _client.PushImageBlobsAsync(name, seed: 157));

        var withoutType = Index([child]);
        withoutType["subject"] = subject.DeepClone();
        withoutType["annotations"] = new JsonObject { [AnnotationKey] = "untyped index" };
        var untyped = await PushReferrerAsync(name, withoutType, subject);

        var withType = Index([child]);
        withType["artifactType"] = "application/vnd.food.stand";
        withType["subject"] = subject.DeepClone();
        var typed = await PushReferrerAsync(name, withType, subject);

        using var response = await _client.GetAsync($"/v2/{name}/referrers/{DigestOf(subject)}");
        var entries = await AssertIndexAsync(response);
        Assert.Equal(2, entries.Count);
        var untypedEntry = entries.Single(e => e.GetProperty("digest").GetString() == DigestOf(untyped));
        Assert.Equal(MediaTypes.OciIndex, untypedEntry.GetProperty("mediaType").GetString());
        Assert.False(untypedEntry.TryGetProperty("artifactType", out _));
        Assert.Equal("untyped index", untypedEntry.GetProperty("annotations").GetProperty(AnnotationKey).GetString());
        AssertEntry(entries, typed, "application/vnd.food.stand", annotations: null);
    }

    [Fact]
    public async Task IndexWithSubject_ListsTheIndexAndItsChildrenThatHaveTheSubject()
    {
        // The new suite's "Index with Subject": the referrer is an index whose two children carry the
        // same subject, artifactType and annotations; all three are referrers.
        var name = Repo();
        var subjectIndex = Index([await _client.PushManifestAsync(name, await _client.PushImageBlobsAsync(name, seed: 176))]);
        var subject = await _client.PushManifestAsync(name, subjectIndex, tag: "index");
        var annotations = new Dictionary<string, string> { ["org.opencontainers.conformance"] = "hello conformance test" };
        var children = new List<JsonObject>();
        foreach (var seed in new[] { 177, 178 })
        {
            var child = await ArtifactAsync(name, Conf1, seed, annotations);
            child["subject"] = subject.DeepClone();
            children.Add(await PushReferrerAsync(name, child, subject));
        }
        var referrerIndex = Index(children);
        referrerIndex["artifactType"] = Conf1;
        referrerIndex["subject"] = subject.DeepClone();
        referrerIndex["annotations"] = new JsonObject { ["org.opencontainers.conformance"] = "hello conformance test" };
        var indexDescriptor = await PushReferrerAsync(name, referrerIndex, subject, tag: "tagged-artifact");

        using var response = await _client.GetAsync($"/v2/{name}/referrers/{DigestOf(subject)}");
        var entries = await AssertIndexAsync(response);
        Assert.Equal(3, entries.Count);
        foreach (var descriptor in children.Append(indexDescriptor)) AssertEntry(entries, descriptor, Conf1, annotations);
    }

    [Fact]
    public async Task ArtifactTypeFilter_ReturnsOnlyMatchesWithOciFiltersApplied()
    {
        // The legacy suite's references: config-typed A, layer-typed A (artifactType), B artifacts and an
        // index; filtering on A must give exactly the two A manifests.
        var name = Repo();
        var subject = await PushSubjectAsync(name, seed: 158);
        var empty = await _client.PushBlobDescriptorAsync(name, EmptyJson, MediaTypes.OciEmpty);
        var bagel = await _client.PushBlobDescriptorAsync(name, "NHL Peanut Butter on my NHL bagel"u8.ToArray(), BagelType);

        var configA = ImageManifest(Descriptor(BagelType, DigestOf(empty), 2), [empty]);
        configA["subject"] = subject.DeepClone();
        configA["annotations"] = new JsonObject { [AnnotationKey] = "test config a" };
        var configADescriptor = await PushReferrerAsync(name, configA, subject);

        var layerA = ImageManifest(empty, [bagel]);
        layerA["artifactType"] = BagelType;
        layerA["subject"] = subject.DeepClone();
        layerA["annotations"] = new JsonObject { [AnnotationKey] = "test layer a" };
        var layerADescriptor = await PushReferrerAsync(name, layerA, subject);

        var layerB = await ArtifactAsync(name, CroissantType, seed: 159, new() { [AnnotationKey] = "test layer b" });
        layerB["subject"] = subject.DeepClone();
        await PushReferrerAsync(name, layerB, subject);

        using (var all = await _client.GetAsync($"/v2/{name}/referrers/{DigestOf(subject)}"))
        {
            Assert.Equal(3, (await AssertIndexAsync(all)).Count);
        }

        using var filtered = await _client.GetAsync($"/v2/{name}/referrers/{DigestOf(subject)}?artifactType={Uri.EscapeDataString(BagelType)}");
        var entries = await AssertIndexAsync(filtered);
        // "If the artifactType filter is applied, the registry MUST include OCI-Filters-Applied: artifactType".
        Assert.Equal("artifactType", filtered.Header("OCI-Filters-Applied"));
        Assert.Equal(2, entries.Count);
        AssertEntry(entries, configADescriptor, BagelType, new() { [AnnotationKey] = "test config a" });
        AssertEntry(entries, layerADescriptor, BagelType, new() { [AnnotationKey] = "test layer a" });
    }

    [Fact]
    public async Task ArtifactTypeFilterWithoutMatches_ReturnsEmptyIndex()
    {
        var name = Repo();
        var subject = await PushSubjectAsync(name, seed: 160);
        var artifact = await ArtifactAsync(name, Conf1, seed: 161);
        artifact["subject"] = subject.DeepClone();
        await PushReferrerAsync(name, artifact, subject);

        using var response = await _client.GetAsync($"/v2/{name}/referrers/{DigestOf(subject)}?artifactType={Uri.EscapeDataString(Conf2)}");
        Assert.Empty(await AssertIndexAsync(response));
        Assert.Equal("artifactType", response.Header("OCI-Filters-Applied"));
    }

    [Fact]
    public async Task ReferrerPushedBeforeItsSubject_IsListed()
    {
        // "Manifests pushed before their subject count too": the subject may dangle at push time.
        var name = Repo();
        var subjectImage = await _client.PushImageBlobsAsync(name, seed: 162);
        var subject = Descriptor(MediaTypes.OciManifest, Sha256(Bytes(subjectImage)), Bytes(subjectImage).Length);
        var artifact = await ArtifactAsync(name, Conf1, seed: 163);
        artifact["subject"] = subject.DeepClone();
        var referrer = await PushReferrerAsync(name, artifact, subject);

        using (var before = await _client.GetAsync($"/v2/{name}/referrers/{DigestOf(subject)}"))
        {
            AssertEntry(await AssertIndexAsync(before), referrer, Conf1, annotations: null);
        }
        await _client.PushManifestAsync(name, subjectImage, tag: "subject");
        using var after = await _client.GetAsync($"/v2/{name}/referrers/{DigestOf(subject)}");
        AssertEntry(await AssertIndexAsync(after), referrer, Conf1, annotations: null);
    }

    [Fact]
    public async Task Referrers_AreScopedToTheRepository()
    {
        var name = Repo() + "/here";
        var other = Repo() + "/there";
        var subject = await PushSubjectAsync(name, seed: 164);
        var artifact = await ArtifactAsync(other, Conf1, seed: 165);
        artifact["subject"] = subject.DeepClone();
        await PushReferrerAsync(other, artifact, subject);

        // end-12: descriptors of manifests "in the same <name>" only.
        using var response = await _client.GetAsync($"/v2/{name}/referrers/{DigestOf(subject)}");
        Assert.Empty(await AssertIndexAsync(response));
    }

    [Fact]
    public async Task DeletedReferrer_IsNoLongerListed()
    {
        var name = Repo();
        var subject = await PushSubjectAsync(name, seed: 166);
        var artifact = await ArtifactAsync(name, Conf1, seed: 167);
        artifact["subject"] = subject.DeepClone();
        var referrer = await PushReferrerAsync(name, artifact, subject);

        using (var delete = await _client.DeleteAsync($"/v2/{name}/manifests/{DigestOf(referrer)}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        using var response = await _client.GetAsync($"/v2/{name}/referrers/{DigestOf(subject)}");
        Assert.Empty(await AssertIndexAsync(response));
    }

    [Fact]
    public async Task Sha512Subject_HasItsReferrersListed()
    {
        var name = Repo();
        var subjectImage = await _client.PushImageBlobsAsync(name, seed: 168, sha512: true);
        var subject = await _client.PushManifestAsync(name, subjectImage, sha512: true);
        var artifact = await ArtifactAsync(name, Conf1, seed: 169);
        artifact["subject"] = subject.DeepClone();
        var referrer = await PushReferrerAsync(name, artifact, subject);

        using var response = await _client.GetAsync($"/v2/{name}/referrers/{DigestOf(subject)}");
        AssertEntry(await AssertIndexAsync(response), referrer, Conf1, annotations: null);
    }

    [Fact]
    public async Task MalformedDigest_Returns400()
    {
        // end-12 failure: "invalid request (bad digest syntax) → MUST 400".
        using var response = await _client.GetAsync($"/v2/{Repo()}/referrers/sha256:nothex");
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
    }

    [Fact]
    public async Task LongList_IsPaginatedWithLink()
    {
        // "A Link header MUST be included in the response when the descriptor list cannot be returned in
        // a single manifest"; each page holds different descriptors.
        await using var registry = await InProcessBerth.StartAsync(options => options with { ReferrersPageSize = 2 });
        var client = registry.Client;
        var name = Repo();
        var subject = await client.PushManifestAsync(name, await client.PushImageBlobsAsync(name, seed: 170));
        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 5; i++)
        {
            var artifact = await client.PushImageBlobsAsync(name, seed: 171 + i);
            artifact["artifactType"] = i % 2 == 0 ? Conf1 : Conf2;
            artifact["subject"] = subject.DeepClone();
            expected.Add(DigestOf(await client.PushManifestAsync(name, artifact)));
        }

        var seen = await FollowPagesAsync(client, $"/v2/{name}/referrers/{DigestOf(subject)}", expectedPages: 3);
        Assert.Equal(expected.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));

        // The filter is kept across pages: three Conf1 referrers make two pages.
        var filtered = await FollowPagesAsync(client, $"/v2/{name}/referrers/{DigestOf(subject)}?artifactType={Uri.EscapeDataString(Conf1)}",
            expectedPages: 2);
        Assert.Equal(3, filtered.Count);
    }

    private static async Task<List<string>> FollowPagesAsync(HttpClient client, string first, int expectedPages)
    {
        var seen = new List<string>();
        string? next = first;
        var pages = 0;
        while (next is not null)
        {
            using var response = await client.GetAsync(next);
            var entries = await AssertIndexAsync(response);
            Assert.InRange(entries.Count, 1, 2);
            foreach (var entry in entries)
            {
                var digest = entry.GetProperty("digest").GetString()!;
                Assert.DoesNotContain(digest, seen);
                seen.Add(digest);
            }
            next = SpecHttp.NextLink(response);
            Assert.True(++pages <= expectedPages, "pagination did not end");
        }
        Assert.Equal(expectedPages, pages);
        return seen;
    }

    private async Task<JsonObject> PushSubjectAsync(string name, int seed) =>
        await _client.PushManifestAsync(name, await _client.PushImageBlobsAsync(name, seed), tag: "subject");

    /// <summary>An artifact: empty config, one layer of the artifact's own type, optional annotations.</summary>
    private async Task<JsonObject> ArtifactAsync(string name, string artifactType, int seed, Dictionary<string, string>? annotations = null)
    {
        var config = await _client.PushBlobDescriptorAsync(name, EmptyJson, MediaTypes.OciEmpty);
        var layer = await _client.PushBlobDescriptorAsync(name, RandomBytes(256, seed), artifactType);
        var artifact = ImageManifest(config, [layer]);
        artifact["artifactType"] = artifactType;
        if (annotations is not null)
        {
            var node = new JsonObject();
            foreach (var (key, value) in annotations) node[key] = value;
            artifact["annotations"] = node;
        }
        return artifact;
    }

    /// <summary>Pushes a manifest with a subject and checks the OCI-Subject answer ("Pushing Manifests with Subject").</summary>
    private async Task<JsonObject> PushReferrerAsync(string name, JsonObject manifest, JsonObject subject, string? tag = null)
    {
        var body = Bytes(manifest);
        var mediaType = manifest["mediaType"]!.GetValue<string>();
        var digest = Sha256(body);
        using var response = await _client.PutManifestAsync(name, tag ?? digest, body, mediaType);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(DigestOf(subject), response.Header("OCI-Subject"));
        return Descriptor(mediaType, digest, body.Length);
    }

    private static async Task AssertEmptyIndexAsync(HttpResponseMessage response) => Assert.Empty(await AssertIndexAsync(response));

    /// <summary>end-12: 200, Content-Type exactly the index type, an image index body; returns its entries.</summary>
    private static async Task<List<JsonElement>> AssertIndexAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(MediaTypes.OciIndex, response.Content.Headers.GetValues("Content-Type").Single());
        var json = await response.ReadJsonAsync();
        Assert.Equal(2, json.GetProperty("schemaVersion").GetInt32());
        Assert.Equal(MediaTypes.OciIndex, json.GetProperty("mediaType").GetString());
        Assert.Equal(JsonValueKind.Array, json.GetProperty("manifests").ValueKind);
        return [.. json.GetProperty("manifests").EnumerateArray()];
    }

    /// <summary>The entry for the descriptor matches digest, mediaType, size and artifactType exactly, and carries the annotations.</summary>
    private static void AssertEntry(List<JsonElement> entries, JsonObject descriptor, string artifactType, Dictionary<string, string>? annotations)
    {
        var entry = Assert.Single(entries, e => e.GetProperty("digest").GetString() == DigestOf(descriptor));
        Assert.Equal(descriptor["mediaType"]!.GetValue<string>(), entry.GetProperty("mediaType").GetString());
        Assert.Equal(descriptor["size"]!.GetValue<long>(), entry.GetProperty("size").GetInt64());
        Assert.Equal(artifactType, entry.GetProperty("artifactType").GetString());
        if (annotations is null)
        {
            Assert.False(entry.TryGetProperty("annotations", out _));
            return;
        }
        var actual = entry.GetProperty("annotations").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        Assert.Equal(annotations.OrderBy(p => p.Key, StringComparer.Ordinal), actual.OrderBy(p => p.Key, StringComparer.Ordinal));
    }
}
