using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Server.Tests.Support;
using static Berth.Server.Tests.Support.ManifestBuilder;
using static Berth.Server.Tests.Support.RegistryContent;
using static Berth.Server.Tests.Support.RepositoryNames;

namespace Berth.Server.Tests;

/// <summary>distribution-spec "Pushing Manifests" (end-7a/7b), with the data sets of the conformance suites.</summary>
public sealed class ManifestPushTests(InProcessBerthFixture shared) : IClassFixture<InProcessBerthFixture>
{
    private readonly HttpClient _client = shared.Client;

    [Fact]
    public async Task PushByTag_Returns201AndStoresExactBytes()
    {
        var name = Repo();
        var image = await _client.PushImageBlobsAsync(name, seed: 40);
        // The legacy suite pushes MarshalIndent output with tabs: the bytes must come back untouched.
        var body = Encoding.UTF8.GetBytes(image.ToJsonString(new JsonSerializerOptions { WriteIndented = true, IndentCharacter = '\t', IndentSize = 1 }) + "\n");
        var digest = Sha256(body);

        using var response = await _client.PutManifestAsync(name, "v1", body);
        // end-7: 201, Location of the pullable manifest, Docker-Content-Digest of the exact bytes.
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        var location = SpecHttp.LocationOf(response);
        Assert.Equal($"/v2/{name}/manifests/{digest}", location);

        using var pulled = await _client.GetAsync(location);
        Assert.Equal(HttpStatusCode.OK, pulled.StatusCode);
        Assert.Equal(body, await pulled.Content.ReadAsByteArrayAsync());
        await _client.AssertManifestAsync(name, "v1", body, MediaTypes.OciManifest);
        await _client.AssertManifestAsync(name, digest, body, MediaTypes.OciManifest);
    }

    [Fact]
    public async Task PushByDigest_Returns201WithoutTagging()
    {
        var name = Repo();
        var body = Bytes(await _client.PushImageBlobsAsync(name, seed: 41));
        var digest = Sha256(body);

        using var response = await _client.PutManifestAsync(name, digest, body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        Assert.Equal($"/v2/{name}/manifests/{digest}", SpecHttp.LocationOf(response));
        Assert.False(response.Headers.Contains("OCI-Tag"));
        await _client.AssertManifestAsync(name, digest, body, MediaTypes.OciManifest);
        Assert.Empty(await _client.TagsAsync(name));
    }

    [Fact]
    public async Task PushWithChunkedBody_Returns201()
    {
        // The new suite sets the manifest body without a length: Transfer-Encoding chunked, no Content-Length.
        var name = Repo();
        var body = Bytes(await _client.PushImageBlobsAsync(name, seed: 42));
        using var response = await _client.PutManifestAsync(name, "chunked", body, headers: h => h.TransferEncodingChunked = true);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await _client.AssertManifestAsync(name, "chunked", body, MediaTypes.OciManifest);
    }

    [Fact]
    public async Task RepushSameManifest_IsIdempotent()
    {
        var name = Repo();
        var body = Bytes(await _client.PushImageBlobsAsync(name, seed: 43));
        for (var i = 0; i < 2; i++)
        {
            using var response = await _client.PutManifestAsync(name, "v1", body);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        await _client.AssertManifestAsync(name, "v1", body, MediaTypes.OciManifest);
        Assert.Equal(["v1"], await _client.TagsAsync(name));
    }

    [Fact]
    public async Task PushToExistingTag_MovesTheTag()
    {
        var name = Repo();
        var first = Bytes(await _client.PushImageBlobsAsync(name, seed: 44));
        var second = Bytes(await _client.PushImageBlobsAsync(name, seed: 45));
        await _client.PushManifestAsync(name, first, MediaTypes.OciManifest, tag: "latest");
        await _client.PushManifestAsync(name, second, MediaTypes.OciManifest, tag: "latest");

        await _client.AssertManifestAsync(name, "latest", second, MediaTypes.OciManifest);
        // The previous manifest stays pullable by digest; only the tag moved.
        await _client.AssertManifestAsync(name, Sha256(first), first, MediaTypes.OciManifest);
    }

    [Fact]
    public async Task DigestMismatch_Returns400DigestInvalidAndStoresNothing()
    {
        var name = Repo();
        var original = Bytes(await _client.PushImageBlobsAsync(name, seed: 46));
        var altered = original.Concat("  "u8.ToArray()).ToArray();

        // The suite's "Bad Digest Image": the body plus two spaces, PUT to the original's digest.
        using var response = await _client.PutManifestAsync(name, Sha256(original), altered);
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        await _client.AssertManifestAbsentAsync(name, Sha256(original));
        await _client.AssertManifestAbsentAsync(name, Sha256(altered));
    }

    [Fact]
    public async Task MalformedDigestReference_Returns400()
    {
        var name = Repo();
        var body = Bytes(await _client.PushImageBlobsAsync(name, seed: 47));
        // New suite "invalid-digest-format": exactly 400 on PUT, then 404 or 400 on GET.
        using var put = await _client.PutManifestAsync(name, "sha256:baddigeststring", body);
        await put.AssertErrorAsync(HttpStatusCode.BadRequest, "DIGEST_INVALID");
        using var get = await _client.GetAsync($"/v2/{name}/manifests/sha256:baddigeststring");
        Assert.Contains(get.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.NotFound });
        await _client.AssertManifestAbsentAsync(name, Sha256(body));
    }

    [Theory]
    [InlineData("{\"schemaVersion\":2,")]
    [InlineData("not json at all")]
    [InlineData("[]")]
    [InlineData("")]
    public async Task MalformedManifest_Returns400ManifestInvalidAndStoresNothing(string text)
    {
        var name = Repo();
        await _client.PushImageAsync(name, "existing", seed: 48);
        using var response = await _client.PutManifestAsync(name, "broken", Encoding.UTF8.GetBytes(text));
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        await _client.AssertManifestAbsentAsync(name, "broken");
        Assert.Equal(["existing"], await _client.TagsAsync(name));
    }

    [Fact]
    public async Task RejectedPushesToAnExistingTag_LeaveItAndTheReferrersUnchanged()
    {
        var name = Repo();
        var original = Bytes(await _client.PushImageBlobsAsync(name, seed: 83));
        await _client.PushManifestAsync(name, original, MediaTypes.OciManifest, tag: "v1");
        var subject = Sha256(original);

        // Each candidate would move v1 (and, having a subject, add a referrer) if it were accepted.
        var missingBlob = await _client.PushImageBlobsAsync(name, seed: 84);
        missingBlob["subject"] = Descriptor(MediaTypes.OciManifest, subject, original.Length);
        ((JsonArray)missingBlob["layers"]!).Add(Descriptor(MediaTypes.OciLayer, Sha256(RandomBytes(10, seed: 85)), 10));
        var oversized = await PaddedManifestAsync(name, 4 * 1024 * 1024 + 1, seed: 86);
        var rejected = new (byte[] Body, string ContentType, HttpStatusCode Status)[]
        {
            ("{\"schemaVersion\":2,"u8.ToArray(), MediaTypes.OciManifest, HttpStatusCode.BadRequest),
            (Bytes(missingBlob), MediaTypes.OciManifest, HttpStatusCode.BadRequest),
            (original.Concat(" "u8.ToArray()).ToArray(), MediaTypes.OciIndex, HttpStatusCode.BadRequest),
            (oversized, MediaTypes.OciManifest, HttpStatusCode.RequestEntityTooLarge),
        };
        foreach (var (body, contentType, status) in rejected)
        {
            using var response = await _client.PutManifestAsync(name, "v1", body, contentType);
            Assert.Equal(status, response.StatusCode);
        }

        await _client.AssertManifestAsync(name, "v1", original, MediaTypes.OciManifest);
        Assert.Equal(["v1"], await _client.TagsAsync(name));
        using var referrers = await _client.GetAsync($"/v2/{name}/referrers/{subject}");
        Assert.Equal(0, (await referrers.ReadJsonAsync()).GetProperty("manifests").GetArrayLength());
    }

    [Fact]
    public async Task InvalidStructure_Returns400ManifestInvalid()
    {
        var name = Repo();
        var image = await _client.PushImageBlobsAsync(name, seed: 49);
        var cases = new List<JsonObject>();
        var wrongVersion = (JsonObject)image.DeepClone();
        wrongVersion["schemaVersion"] = 1;
        cases.Add(wrongVersion);
        var noConfig = (JsonObject)image.DeepClone();
        noConfig.Remove("config");
        cases.Add(noConfig);
        var badLayerDigest = (JsonObject)image.DeepClone();
        badLayerDigest["layers"]![0]!["digest"] = "sha256:xyz";
        cases.Add(badLayerDigest);
        var negativeSize = (JsonObject)image.DeepClone();
        negativeSize["config"]!["size"] = -1;
        cases.Add(negativeSize);

        foreach (var manifest in cases)
        {
            using var response = await _client.PutManifestAsync(name, "invalid", Bytes(manifest));
            await response.AssertErrorAsync(HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        }
        await _client.AssertManifestAbsentAsync(name, "invalid");
    }

    [Fact]
    public async Task MediaTypeDisagreeingWithContentType_Returns400ManifestInvalid()
    {
        var name = Repo();
        var body = Bytes(await _client.PushImageBlobsAsync(name, seed: 50));

        // The body says image manifest; the request says index. Serving either type would be a lie.
        using var response = await _client.PutManifestAsync(name, "mismatch", body, MediaTypes.OciIndex);
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        await _client.AssertManifestAbsentAsync(name, "mismatch");
        await _client.AssertManifestAbsentAsync(name, Sha256(body));
    }

    [Fact]
    public async Task MissingLayer_Returns400ManifestBlobUnknown()
    {
        var name = Repo();
        var image = await _client.PushImageBlobsAsync(name, seed: 51);
        var missing = RandomBytes(64, seed: 52);
        ((JsonArray)image["layers"]!).Add(Descriptor(MediaTypes.OciLayer, Sha256(missing), missing.Length));

        // end-7: a registry that refuses missing descriptors MUST say MANIFEST_BLOB_UNKNOWN.
        using var response = await _client.PutManifestAsync(name, "v1", Bytes(image));
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        await _client.AssertManifestAbsentAsync(name, "v1");
        await _client.AssertManifestAbsentAsync(name, Sha256(Bytes(image)));
    }

    [Fact]
    public async Task MissingConfig_Returns400ManifestBlobUnknown()
    {
        var name = Repo();
        var image = await _client.PushImageBlobsAsync(name, seed: 53);
        var config = Encoding.UTF8.GetBytes("{\"never\":\"pushed\"}");
        image["config"] = Descriptor(MediaTypes.OciConfig, Sha256(config), config.Length);

        using var response = await _client.PutManifestAsync(name, "v1", Bytes(image));
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        await _client.AssertManifestAbsentAsync(name, "v1");
    }

    [Fact]
    public async Task BlobOfAnotherRepository_Returns400ManifestBlobUnknown()
    {
        // Blobs are visible only where pushed or mounted, and a manifest may only use visible ones.
        var name = Repo();
        var image = await _client.PushImageBlobsAsync(Repo() + "/other", seed: 54);
        using var response = await _client.PutManifestAsync(name, "v1", Bytes(image));
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        await _client.AssertManifestAbsentAsync(name, "v1");
    }

    [Fact]
    public async Task IndexWithMissingChild_Returns400ManifestBlobUnknown()
    {
        var name = Repo();
        var child = await _client.PushManifestAsync(name, await _client.PushImageBlobsAsync(name, seed: 55));
        var neverPushed = Bytes(await _client.PushImageBlobsAsync(name, seed: 56));
        var index = Index([child, Descriptor(MediaTypes.OciManifest, Sha256(neverPushed), neverPushed.Length)]);

        using var response = await _client.PutManifestAsync(name, "multi", Bytes(index), MediaTypes.OciIndex);
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
        await _client.AssertManifestAbsentAsync(name, "multi");
    }

    [Fact]
    public async Task DanglingSubject_IsAcceptedWithOciSubjectHeader()
    {
        var name = Repo();
        var config = await _client.PushBlobDescriptorAsync(name, EmptyJson, MediaTypes.OciEmpty);
        var layer = await _client.PushBlobDescriptorAsync(name, RandomBytes(2048, seed: 57), "application/vnd.example.oci.conformance.v1");
        var artifact = ImageManifest(config, [layer]);
        artifact["artifactType"] = "application/vnd.example.oci.conformance.v1";
        // The suite's "Missing Subject": sha256("missing content"), size 123, never pushed.
        var subject = Sha256("missing content"u8.ToArray());
        artifact["subject"] = Descriptor(MediaTypes.OciManifest, subject, 123);
        var body = Bytes(artifact);

        // "Pushing Manifests with Subject": the registry MUST accept it although the subject is unknown,
        // and MUST answer OCI-Subject with the subject's digest.
        using var response = await _client.PutManifestAsync(name, "tagged-artifact", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(subject, response.Header("OCI-Subject"));
        await _client.AssertManifestAsync(name, "tagged-artifact", body, MediaTypes.OciManifest);
    }

    [Fact]
    public async Task ManifestWithoutSubject_HasNoOciSubjectHeader()
    {
        var name = Repo();
        using var response = await _client.PutManifestAsync(name, "v1", Bytes(await _client.PushImageBlobsAsync(name, seed: 58)));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.False(response.Headers.Contains("OCI-Subject"));
    }

    [Fact]
    public async Task LargeManifestLikeTheSuite_IsAccepted()
    {
        // The suite's "Image with Large Manifest": 390 annotations of 10,000 'A', about 3.92 MB, sent
        // without Content-Length. The spec asks registries to accept at least 4 MB.
        var name = Repo();
        var image = await _client.PushImageBlobsAsync(name, seed: 59);
        var annotations = new JsonObject();
        for (var i = 0; i < 390; i++) annotations[$"org.example.large.{i}"] = new string('A', 10_000);
        image["annotations"] = annotations;
        var body = Bytes(image);
        Assert.InRange(body.Length, 3_900_000, 4 * 1024 * 1024);

        using var response = await _client.PutManifestAsync(name, "large-manifest", body, headers: h => h.TransferEncodingChunked = true);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await _client.AssertManifestAsync(name, "large-manifest", body, MediaTypes.OciManifest);
    }

    [Fact]
    public async Task ManifestOfExactly4MiB_IsAccepted()
    {
        var name = Repo();
        var body = await PaddedManifestAsync(name, 4 * 1024 * 1024, seed: 60);
        using var response = await _client.PutManifestAsync(name, "edge", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await _client.AssertManifestAsync(name, "edge", body, MediaTypes.OciManifest);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ManifestOver4MiB_Returns413AndStoresNothing(bool chunkedTransfer)
    {
        var name = Repo() + (chunkedTransfer ? "/chunked" : "/length");
        var body = await PaddedManifestAsync(name, 4 * 1024 * 1024 + 1, seed: 61);

        // end-7: "the registry SHOULD respond with 413" above its limit; with no Content-Length the limit
        // is enforced while reading.
        using var response = await _client.PutManifestAsync(name, "too-big", body,
            headers: h => h.TransferEncodingChunked = chunkedTransfer ? true : null);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await _client.AssertManifestAbsentAsync(name, "too-big");
        await _client.AssertManifestAbsentAsync(name, Sha256(body));
    }

    [Fact]
    public async Task NestedIndex_IsAcceptedAndServedAsPushed()
    {
        // The suite's "Nested Index": two indexes of two images each, and an index of those indexes.
        var name = Repo();
        var innerIndexes = new List<JsonObject>();
        var innerBodies = new List<byte[]>();
        for (var i = 0; i < 2; i++)
        {
            var amd64 = await _client.PushManifestAsync(name, await _client.PushImageBlobsAsync(name, seed: 62 + 2 * i));
            var arm64 = await _client.PushManifestAsync(name, await _client.PushImageBlobsAsync(name, seed: 63 + 2 * i));
            amd64["platform"] = new JsonObject { ["architecture"] = "amd64", ["os"] = "linux" };
            arm64["platform"] = new JsonObject { ["architecture"] = "arm64", ["os"] = "linux" };
            var inner = Index([amd64, arm64]);
            innerBodies.Add(Bytes(inner));
            innerIndexes.Add(await _client.PushManifestAsync(name, inner));
        }
        var outer = Bytes(Index(innerIndexes));

        using var response = await _client.PutManifestAsync(name, "index-of-index", outer, MediaTypes.OciIndex);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await _client.AssertManifestAsync(name, "index-of-index", outer, MediaTypes.OciIndex);
        for (var i = 0; i < 2; i++) await _client.AssertManifestAsync(name, DigestOf(innerIndexes[i]), innerBodies[i], MediaTypes.OciIndex);
    }

    [Fact]
    public async Task EmptyIndex_IsAccepted()
    {
        var name = Repo();
        var body = Bytes(Index([]));
        await _client.PushManifestAsync(name, body, MediaTypes.OciIndex, tag: "index");
        await _client.AssertManifestAsync(name, "index", body, MediaTypes.OciIndex);
    }

    [Fact]
    public async Task DockerSchema2ManifestAndManifestList_AreServedWithTheirTypes()
    {
        var name = Repo();
        var children = new List<JsonObject>();
        foreach (var seed in new[] { 70, 71 })
        {
            var image = await _client.PushImageBlobsAsync(name, seed, mediaType: MediaTypes.DockerManifest,
                configType: MediaTypes.DockerConfig, layerType: MediaTypes.DockerLayerGzip);
            var child = await _client.PushManifestAsync(name, image, tag: $"docker-{seed}");
            child["platform"] = new JsonObject { ["architecture"] = seed == 70 ? "amd64" : "arm64", ["os"] = "linux" };
            children.Add(child);
        }
        var list = Index(children, MediaTypes.DockerManifestList);
        await _client.PushManifestAsync(name, list, tag: "docker-list");

        await _client.AssertManifestAsync(name, "docker-70", await BodyAsync(name, "docker-70"), MediaTypes.DockerManifest);
        await _client.AssertManifestAsync(name, "docker-list", Bytes(list), MediaTypes.DockerManifestList);
    }

    [Fact]
    public async Task ArtifactWithEmptyConfig_IsAccepted()
    {
        var name = Repo();
        var config = await _client.PushBlobDescriptorAsync(name, EmptyJson, MediaTypes.OciEmpty);
        var layer = await _client.PushBlobDescriptorAsync(name, RandomBytes(2048, seed: 72), "application/vnd.example.oci.conformance.v1");
        var artifact = ImageManifest(config, [layer]);
        artifact["artifactType"] = "application/vnd.example.oci.conformance.v1";
        await _client.PushManifestAsync(name, artifact, tag: "artifact");
        await _client.AssertManifestAsync(name, "artifact", Bytes(artifact), MediaTypes.OciManifest);

        // "Artifact without Layers": the only layer is the empty descriptor itself.
        var withoutLayers = ImageManifest(config, [(JsonObject)config.DeepClone()]);
        withoutLayers["artifactType"] = "application/vnd.example.oci.conformance.v1";
        await _client.PushManifestAsync(name, withoutLayers, tag: "artifact-without-layers");
        await _client.AssertManifestAsync(name, "artifact-without-layers", Bytes(withoutLayers), MediaTypes.OciManifest);
    }

    [Fact]
    public async Task ImageWithoutLayers_IsAccepted()
    {
        // "The uploaded manifest's blob list MAY be empty" (suite data set "no-layers").
        var name = Repo();
        var config = await _client.PushBlobDescriptorAsync(name, Encoding.UTF8.GetBytes("{\"os\":\"linux\"}"), MediaTypes.OciConfig);
        var image = ImageManifest(config, []);
        await _client.PushManifestAsync(name, image, tag: "no-layers");
        await _client.AssertManifestAsync(name, "no-layers", Bytes(image), MediaTypes.OciManifest);
    }

    [Fact]
    public async Task ManifestWithoutMediaTypeField_IsAcceptedUnderContentType()
    {
        // The legacy suite's "emptylayer" manifest: no mediaType field and no layers; Content-Type says
        // what it is, and the image spec lets the field be omitted.
        var name = Repo();
        var config = await _client.PushBlobDescriptorAsync(name, Encoding.UTF8.GetBytes("{\"author\":\"legacy\"}"), MediaTypes.OciConfig);
        var body = Bytes(ImageManifest(config, [], mediaType: null));

        using var response = await _client.PutManifestAsync(name, "emptylayer", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await _client.AssertManifestAsync(name, "emptylayer", body, MediaTypes.OciManifest);
    }

    [Fact]
    public async Task NonDistributableLayers_NeedNotBePushed()
    {
        // The suite's "Non-distributable Layers": two layers that live elsewhere (urls), never pushed.
        var name = Repo();
        var image = await _client.PushImageBlobsAsync(name, seed: 73);
        var foreign = Descriptor("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", Sha256(RandomBytes(8, seed: 74)), 123456);
        foreign["urls"] = new JsonArray("https://example.com/layer.tar.gz");
        ((JsonArray)image["layers"]!).Insert(0, foreign);
        await _client.PushManifestAsync(name, image, tag: "non-distributable-image");
        await _client.AssertManifestAsync(name, "non-distributable-image", Bytes(image), MediaTypes.OciManifest);
    }

    [Fact]
    public async Task CustomFieldsAndDataField_ArePreservedByteForByte()
    {
        var name = Repo();
        var configBytes = Encoding.UTF8.GetBytes("{\"os\":\"linux\",\"custom\":true}");
        var config = await _client.PushBlobDescriptorAsync(name, configBytes, MediaTypes.OciConfig);
        config["data"] = Convert.ToBase64String(configBytes);
        config["newUnspecifiedField"] = Convert.ToBase64String("hello world"u8.ToArray());
        var image = await _client.PushImageBlobsAsync(name, seed: 75);
        image["config"] = config;
        image["org.example.custom"] = new JsonObject { ["nested"] = new JsonArray(1, 2, 3) };
        var body = Bytes(image);

        await _client.PushManifestAsync(name, body, MediaTypes.OciManifest, tag: "custom-fields");
        await _client.AssertManifestAsync(name, "custom-fields", body, MediaTypes.OciManifest);
    }

    [Fact]
    public async Task Sha512Manifests_PushedByDigest()
    {
        // The suite's sha512 data set: blobs, images and index all sha512, pushed by digest only.
        var name = Repo();
        var children = new List<JsonObject>();
        foreach (var seed in new[] { 76, 77 })
        {
            children.Add(await _client.PushManifestAsync(name, await _client.PushImageBlobsAsync(name, seed, sha512: true), sha512: true));
        }
        var index = Index(children);
        var descriptor = await _client.PushManifestAsync(name, index, sha512: true);
        var digest = DigestOf(descriptor);
        Assert.StartsWith("sha512:", digest);

        await _client.AssertManifestAsync(name, digest, Bytes(index), MediaTypes.OciIndex);
        using var head = await _client.HeadAsync($"/v2/{name}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(digest, head.Header("Docker-Content-Digest"));
        // Stored under its sha512 digest; the sha256 of the same bytes names nothing.
        await _client.AssertManifestAbsentAsync(name, Sha256(Bytes(index)));
    }

    [Fact]
    public async Task TagParameters_TagEveryOneAndAnswerOciTag()
    {
        var name = Repo();
        var body = Bytes(await _client.PushImageBlobsAsync(name, seed: 78));
        var digest = Sha256(body);
        var tags = Enumerable.Range(0, 12).Select(i => $"t{i}").Append("latest").Append("1.2.3").ToList();

        // PR #600 multi-tag push: at least 10 tags per request, one OCI-Tag per tag pushed.
        var query = string.Join("&", tags.Select(t => "tag=" + t));
        using var response = await _client.PutManifestAsync(name, $"{digest}?{query}", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(digest, response.Header("Docker-Content-Digest"));
        Assert.Equal(tags.Order(StringComparer.Ordinal), OciTags(response).Order(StringComparer.Ordinal));

        Assert.Equal(tags.Order(StringComparer.Ordinal), await _client.TagsAsync(name));
        foreach (var tag in tags) await _client.AssertManifestAsync(name, tag, body, MediaTypes.OciManifest);
    }

    [Fact]
    public async Task TagParameters_WithSha512Digest()
    {
        // Tagging a sha512 manifest is the reason for ?tag=: a PUT by tag would hash it as sha256.
        var name = Repo();
        var body = Bytes(await _client.PushImageBlobsAsync(name, seed: 79, sha512: true));
        var digest = Sha512(body);
        using var response = await _client.PutManifestAsync(name, $"{digest}?tag=tag-param-sha512&tag=tag-param-sha512-0", body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(["tag-param-sha512", "tag-param-sha512-0"], OciTags(response).Order(StringComparer.Ordinal));

        using var head = await _client.HeadAsync($"/v2/{name}/manifests/tag-param-sha512");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(digest, head.Header("Docker-Content-Digest"));
    }

    [Fact]
    public async Task TagParameters_WithAnInvalidTag_Return400AndStoreNothing()
    {
        var name = Repo();
        await _client.PushImageAsync(name, "existing", seed: 80);
        var body = Bytes(await _client.PushImageBlobsAsync(name, seed: 81));
        var digest = Sha256(body);

        using var response = await _client.PutManifestAsync(name, $"{digest}?tag=good&tag=.bad", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(response.Headers.Contains("OCI-Tag"));
        // All or nothing: neither the valid tag nor the manifest was stored.
        Assert.Equal(["existing"], await _client.TagsAsync(name));
        await _client.AssertManifestAbsentAsync(name, digest);
    }

    [Fact]
    public async Task InvalidTagReference_Returns400()
    {
        var name = Repo();
        var body = Bytes(await _client.PushImageBlobsAsync(name, seed: 82));
        using var response = await _client.PutManifestAsync(name, "-starts-with-dash", body);
        await response.AssertErrorAsync(HttpStatusCode.BadRequest, "MANIFEST_INVALID");
        await _client.AssertManifestAbsentAsync(name, Sha256(body));
    }

    private async Task<byte[]> PaddedManifestAsync(string name, int size, int seed)
    {
        var image = await _client.PushImageBlobsAsync(name, seed);
        image["annotations"] = new JsonObject { ["org.example.padding"] = "" };
        var overhead = Bytes(image).Length;
        image["annotations"]!["org.example.padding"] = new string('A', size - overhead);
        var body = Bytes(image);
        Assert.Equal(size, body.Length);
        return body;
    }

    private async Task<byte[]> BodyAsync(string name, string reference)
    {
        using var response = await _client.GetAsync($"/v2/{name}/manifests/{reference}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync();
    }


    /// <summary>OCI-Tag values, whether sent as one header per tag or comma-joined (RFC 9110 §5.3).</summary>
    private static List<string> OciTags(HttpResponseMessage response) =>
        response.Headers.TryGetValues("OCI-Tag", out var values)
            ? [.. values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))]
            : [];
}
