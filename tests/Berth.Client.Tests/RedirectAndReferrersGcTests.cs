using Berth.Client.Auth;
using Berth.Client.Content;
using Berth.Client.Tests.Support;
using Berth.Oci.Digests;

namespace Berth.Client.Tests;

/// <summary>
/// Blob reads redirected (307) to a second host on loopback that plays an object store with its own
/// MD5 ETags: the client sends it neither the registry's Authorization nor the registry's validators,
/// and a resumed read there is a plain Range, still verified against the digest.
/// </summary>
public sealed class CrossHostRedirectTests(AuthenticatingBerthFixture registry) : IClassFixture<AuthenticatingBerthFixture>, IAsyncLifetime
{
    private RegistryFront _front = null!;

    public async Task InitializeAsync() => _front = await RegistryFront.StartAsync(registry.Berth.Address);

    public async Task DisposeAsync() => await _front.DisposeAsync();

    private RegistryClient NewClient() => new RegistryClientBuilder(_front.Host)
        .WithCredentials(new StaticCredentialProvider(new RegistryCredential(AuthenticatingBerthFixture.User, AuthenticatingBerthFixture.Password)))
        .Build();

    [Fact]
    public async Task RedirectedBlobRead_CarriesNoAuthorizationNorConditions_AndAResumeIsAPlainRange()
    {
        using var client = NewClient();
        var repository = client.Repository(TestRegistryExtensions.UniqueRepository("redirect/blob"));
        var content = RandomBytes(400_000, 21);
        var pushed = await repository.PushBlobAsync(content);
        _front.RedirectBlobs = true;

        using (var whole = new MemoryStream())
        {
            await repository.PullBlobAsync(pushed.Digest, whole, content.Length);
            Assert.Equal(content, whole.ToArray());
        }

        _front.CutStorageBodies(1);
        await using (var stream = await repository.OpenBlobAsync(pushed.Digest, content.Length))
        {
            using var resumed = new MemoryStream();
            await stream.CopyToAsync(resumed);
            Assert.Equal(content, resumed.ToArray());
            Assert.Equal(1, stream.Resumes);
        }

        var requests = _front.StorageRequests;
        Assert.Equal(3, requests.Count);
        Assert.All(requests, r =>
        {
            Assert.StartsWith("/bucket/v2/", r.Path);
            foreach (var header in (string[])["Authorization", "If-Match", "If-None-Match", "If-Range", "If-Modified-Since", "If-Unmodified-Since"])
            {
                Assert.False(r.Headers.ContainsKey(header), $"{r.Method} {r.Path} carried {header}: {r.Headers.GetValueOrDefault(header)}");
            }
        });
        Assert.Equal($"bytes={content.Length / 2}-", requests[^1].Headers["Range"]);
    }
}

/// <summary>
/// The referrers tag-schema fallback (distribution-spec "Pushing Manifests with Subject") deletes the
/// index it replaced: against Berth (behind a front without the referrers API, so the fallback runs and
/// the tag moves by If-Match), against Berth with deletes off (405 is not an error), and against CNCF
/// Distribution (no referrers API, no preconditions: the read-back decides).
/// </summary>
public sealed class ReferrersIndexGcTests(BerthRegistryFixture berth, DistributionRegistryFixture distribution)
    : IClassFixture<BerthRegistryFixture>, IClassFixture<DistributionRegistryFixture>
{
    [Fact]
    public async Task Berth_ReplacedIndexIsDeleted_AfterTheConditionalTagUpdate()
    {
        await using var front = await RegistryFront.StartAsync(berth.Berth.Address);
        front.HideReferrersApi = true;
        var (first, second, subject, name) = await AttachTwoAsync(front.Host);
        Assert.True(second.ReferrersFallback!.IsProtected);
        Assert.Null(first.DeletedReferrersIndex);
        Assert.Equal(first.ReferrersFallback!.Digest, second.DeletedReferrersIndex);

        using var direct = berth.NewClient();
        var repository = direct.Repository(name);
        Assert.Null(await repository.HeadManifestAsync(first.ReferrersFallback.Digest!.Value.ToString()));
        var tag = await repository.GetManifestAsync(RepositoryClient.ReferrersTag(subject));
        Assert.Equal(second.ReferrersFallback.Digest, tag.Digest);
        Assert.Equal(2, tag.Manifest.ChildManifests().Count());
    }

    [Fact]
    public async Task Berth_WithDeletesOff_KeepsTheOldIndex_AndTheAttachSucceeds()
    {
        await using var noDeletes = await InProcessBerth.StartAsync(registry: o => o with { DeletesEnabled = false });
        await using var front = await RegistryFront.StartAsync(noDeletes.Address);
        front.HideReferrersApi = true;
        var (first, second, subject, name) = await AttachTwoAsync(front.Host);
        Assert.Null(second.DeletedReferrersIndex);
        using var direct = TestRegistryExtensions.NewClient(noDeletes.Host);
        Assert.NotNull(await direct.Repository(name).HeadManifestAsync(first.ReferrersFallback!.Digest!.Value.ToString()));
        Assert.Equal(second.ReferrersFallback!.Digest, (await direct.Repository(name).GetManifestAsync(RepositoryClient.ReferrersTag(subject))).Digest);
    }

    [Fact]
    public async Task Distribution_ReplacedIndexIsDeleted_AfterTheReadBack()
    {
        var (first, second, subject, name) = await AttachTwoAsync(distribution.Host);
        Assert.False(second.ReferrersFallback!.IsProtected);
        Assert.True(second.ReferrersFallback.ConfirmedByReadBack);
        Assert.Equal(first.ReferrersFallback!.Digest, second.DeletedReferrersIndex);

        using var client = distribution.NewClient();
        var repository = client.Repository(name);
        Assert.Null(await repository.HeadManifestAsync(first.ReferrersFallback.Digest!.Value.ToString()));
        var listed = await repository.GetReferrersAsync(subject);
        Assert.Equal(ReferrersSource.TagSchema, listed.Source);
        Assert.Equal(2, listed.Referrers.Count);
    }

    /// <summary>Pushes an image and two artifacts whose subject it is; returns both pushes.</summary>
    private static async Task<(ManifestPushResult First, ManifestPushResult Second, Digest Subject, string Name)> AttachTwoAsync(string host)
    {
        using var client = TestRegistryExtensions.NewClient(host);
        var name = TestRegistryExtensions.UniqueRepository("fallback/gc");
        var repository = client.Repository(name);
        var image = await TestImages.PushImageAsync(repository, new Platform("linux", "amd64"), seed: 31);
        await repository.PushBlobAsync(ArtifactManifest.EmptyJson);
        var pushes = new List<ManifestPushResult>();
        foreach (var type in (string[])["application/x.signature", "application/x.sbom"])
        {
            var artifact = ArtifactManifest.Build(type, [], image.Descriptor);
            var pushed = await repository.PutManifestAsync(artifact.Digest.ToString(), artifact);
            Assert.False(pushed.SubjectProcessed);
            Assert.NotNull(pushed.ReferrersFallback);
            pushes.Add(pushed);
        }
        return (pushes[0], pushes[1], image.Digest, name);
    }
}
