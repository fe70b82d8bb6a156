using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Berth.Oci.Auth;
using Berth.Server.Tests.Support;

namespace Berth.Server.Tests;

/// <summary>
/// Every endpoint × every kind of caller, with the exact status and error code. A refusal is always a 401
/// with the Bearer challenge (no, bad or expired credentials) or a 403 DENIED (a known caller the rules do
/// not allow), decided before the endpoint runs, so it never depends on whether the content exists.
/// </summary>
public sealed class AuthMatrixTests
{
    public enum Need { Authenticated, Catalog, Pull, Push, Delete }

    public enum Identity { Anonymous, WrongPassword, ExpiredToken, TokenForAnotherRepository, TokenWithoutPush, ValidToken, ValidPassword }

    private const string Repo = "team/app";

    private sealed record Seed(string Layer, string ManifestV1, string ExtraBlob, string UploadA, string UploadB, byte[] ManifestV2, string ManifestV2Digest);

    private sealed record Endpoint(string Name, HttpMethod Method, Func<Seed, string> Path, Need Need, HttpStatusCode Success,
        Func<Seed, HttpContent?>? Body = null, string? SuccessCode = null);

    private static readonly byte[] Chunk = "chunk-of-a-blob"u8.ToArray();

    /// <summary>In order: the destructive ones last, so a caller allowed everything sees the earlier ones succeed on seeded content.</summary>
    private static readonly Endpoint[] Endpoints =
    [
        new("base", HttpMethod.Get, _ => "/v2/", Need.Authenticated, HttpStatusCode.OK),
        new("catalog", HttpMethod.Get, _ => "/v2/_catalog", Need.Catalog, HttpStatusCode.OK),
        new("tags list", HttpMethod.Get, _ => $"/v2/{Repo}/tags/list", Need.Pull, HttpStatusCode.OK),
        new("manifest GET", HttpMethod.Get, _ => $"/v2/{Repo}/manifests/v1", Need.Pull, HttpStatusCode.OK),
        new("manifest HEAD", HttpMethod.Head, _ => $"/v2/{Repo}/manifests/v1", Need.Pull, HttpStatusCode.OK),
        new("missing manifest GET", HttpMethod.Get, _ => $"/v2/{Repo}/manifests/nope", Need.Pull, HttpStatusCode.NotFound, SuccessCode: "MANIFEST_UNKNOWN"),
        new("missing repository tags", HttpMethod.Get, _ => "/v2/team/secret/tags/list", Need.Pull, HttpStatusCode.NotFound, SuccessCode: "NAME_UNKNOWN"),
        new("blob GET", HttpMethod.Get, s => $"/v2/{Repo}/blobs/{s.Layer}", Need.Pull, HttpStatusCode.OK),
        new("blob HEAD", HttpMethod.Head, s => $"/v2/{Repo}/blobs/{s.Layer}", Need.Pull, HttpStatusCode.OK),
        new("referrers", HttpMethod.Get, s => $"/v2/{Repo}/referrers/{s.ManifestV1}", Need.Pull, HttpStatusCode.OK),
        // The history names who moved the tag, so by default it needs push (auth.tagHistoryNeeds).
        new("tag history", HttpMethod.Get, _ => $"/v2/{Repo}/_berth/history/v1", Need.Push, HttpStatusCode.OK),
        new("upload start", HttpMethod.Post, _ => $"/v2/{Repo}/blobs/uploads/", Need.Push, HttpStatusCode.Accepted),
        new("monolithic upload", HttpMethod.Post, _ => $"/v2/{Repo}/blobs/uploads/?digest={Sha256("mono"u8.ToArray())}",
            Need.Push, HttpStatusCode.Created, _ => new ByteArrayContent("mono"u8.ToArray())),
        new("mount", HttpMethod.Post, s => $"/v2/{Repo}/blobs/uploads/?mount={s.Layer}&from=team/base", Need.Push, HttpStatusCode.Created),
        new("upload status", HttpMethod.Get, s => $"/v2/{Repo}/blobs/uploads/{s.UploadA}", Need.Push, HttpStatusCode.NoContent),
        new("upload chunk", HttpMethod.Patch, s => $"/v2/{Repo}/blobs/uploads/{s.UploadA}", Need.Push, HttpStatusCode.Accepted,
            _ => new ByteArrayContent(Chunk)),
        new("upload complete", HttpMethod.Put, s => $"/v2/{Repo}/blobs/uploads/{s.UploadA}?digest={Sha256(Chunk)}",
            Need.Push, HttpStatusCode.Created),
        new("upload cancel", HttpMethod.Delete, s => $"/v2/{Repo}/blobs/uploads/{s.UploadB}", Need.Push, HttpStatusCode.NoContent),
        new("manifest PUT", HttpMethod.Put, _ => $"/v2/{Repo}/manifests/v2", Need.Push, HttpStatusCode.Created, s => ManifestContent(s.ManifestV2)),
        new("manifest DELETE", HttpMethod.Delete, s => $"/v2/{Repo}/manifests/{s.ManifestV2Digest}", Need.Delete, HttpStatusCode.Accepted),
        new("blob DELETE", HttpMethod.Delete, s => $"/v2/{Repo}/blobs/{s.ExtraBlob}", Need.Delete, HttpStatusCode.Accepted),
    ];

    [Theory]
    [InlineData(Identity.Anonymous)]
    [InlineData(Identity.WrongPassword)]
    [InlineData(Identity.ExpiredToken)]
    [InlineData(Identity.TokenForAnotherRepository)]
    [InlineData(Identity.TokenWithoutPush)]
    [InlineData(Identity.ValidToken)]
    [InlineData(Identity.ValidPassword)]
    public async Task EveryEndpoint_AnswersExactly(Identity identity)
    {
        // Every endpoint with a wrong password would trip the failed-login limiter (429) after ten; its own
        // tests are in AuthFailedLoginTests, this matrix is about what each endpoint answers.
        await using var registry = await AuthScenario.StartAsync(auth => auth with { FailedLoginsPerUser = 0, FailedLoginsPerClient = 0 });
        var seed = await SeedAsync(registry);
        using var client = registry.ClientAs(Credentials(registry, identity));
        var mismatches = new List<string>();
        foreach (var endpoint in Endpoints)
        {
            using var request = new HttpRequestMessage(endpoint.Method, endpoint.Path(seed)) { Content = endpoint.Body?.Invoke(seed) };
            using var response = await client.SendAsync(request);
            var (status, code) = Expected(identity, endpoint);
            var actualCode = await response.ErrorCodeIfAnyAsync();
            if (response.StatusCode != status || (endpoint.Method != HttpMethod.Head && actualCode != code))
            {
                mismatches.Add($"{endpoint.Name}: expected {(int)status} {code}, got {(int)response.StatusCode} {actualCode}");
                continue;
            }
            if (status == HttpStatusCode.Unauthorized)
            {
                var challenge = response.Header("WWW-Authenticate");
                var expectedChallenge = ExpectedChallenge(registry, endpoint, identity);
                if (challenge != expectedChallenge) mismatches.Add($"{endpoint.Name}: challenge '{challenge}', expected '{expectedChallenge}'");
            }
            if (status == HttpStatusCode.OK && endpoint.Need == Need.Catalog)
            {
                var body = await response.Content.ReadAsStringAsync();
                var expected = identity switch
                {
                    Identity.Anonymous => "{\"repositories\":[]}",
                    Identity.TokenForAnotherRepository => "{\"repositories\":[\"other/app\"]}",
                    _ => "{\"repositories\":[\"team/app\",\"team/base\"]}",
                };
                if (body != expected) mismatches.Add($"catalog: {body}, expected {expected}");
            }
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    private static (HttpStatusCode Status, string Code) Expected(Identity identity, Endpoint endpoint)
    {
        var unauthorized = (HttpStatusCode.Unauthorized, "UNAUTHORIZED");
        var denied = (HttpStatusCode.Forbidden, "DENIED");
        var success = (endpoint.Success, endpoint.SuccessCode ?? "");
        return identity switch
        {
            // Some repositories are public, so anybody may list the catalog: filtered to what they may pull.
            Identity.Anonymous when endpoint.Need == Need.Catalog => success,
            Identity.Anonymous or Identity.WrongPassword or Identity.ExpiredToken => unauthorized,
            Identity.TokenForAnotherRepository => endpoint.Need is Need.Authenticated or Need.Catalog ? success : denied,
            Identity.TokenWithoutPush => endpoint.Need is Need.Push or Need.Delete ? denied : success,
            _ => success,
        };
    }

    private static string ExpectedChallenge(InProcessBerth registry, Endpoint endpoint, Identity identity)
    {
        var scope = endpoint.Need switch
        {
            Need.Catalog => ",scope=\"registry:catalog:*\"",
            Need.Pull => $",scope=\"repository:{(endpoint.Name == "missing repository tags" ? "team/secret" : Repo)}:pull\"",
            Need.Push => $",scope=\"repository:{Repo}:pull,push\"",
            Need.Delete => $",scope=\"repository:{Repo}:delete\"",
            _ => "",
        };
        var error = identity == Identity.ExpiredToken ? ",error=\"invalid_token\"" : "";
        return $"Bearer realm=\"{registry.Address.GetLeftPart(UriPartial.Authority)}/auth/token\",service=\"{AuthScenario.Service}\"{scope}{error}";
    }

    private static AuthenticationHeaderValue? Credentials(InProcessBerth registry, Identity identity) => identity switch
    {
        Identity.Anonymous => null,
        Identity.WrongPassword => AuthScenario.Basic(AuthScenario.Alice.User, "wrong-password"),
        // Everything alice could have, but issued an hour ago: five minutes of life and one of skew are long gone.
        Identity.ExpiredToken => AuthScenario.Bearer(registry.Token("alice", DateTimeOffset.UtcNow.AddHours(-1),
            AccessScope.Repository(Repo, "pull", "push", "delete"), AccessScope.Repository("team/secret", "pull"), AccessScope.Catalog)),
        Identity.TokenForAnotherRepository => AuthScenario.Bearer(registry.Token("oscar", null,
            AccessScope.Repository("other/app", "pull", "push", "delete"), AccessScope.Catalog)),
        Identity.TokenWithoutPush => AuthScenario.Bearer(registry.Token("rita", null,
            AccessScope.Repository(Repo, "pull"), AccessScope.Repository("team/secret", "pull"), AccessScope.Catalog)),
        Identity.ValidToken => AuthScenario.Bearer(registry.Token("alice", null,
            AccessScope.Repository(Repo, "pull", "push", "delete"), AccessScope.Repository("team/base", "pull"),
            AccessScope.Repository("team/secret", "pull"), AccessScope.Catalog)),
        Identity.ValidPassword => AuthScenario.Basic(AuthScenario.Alice),
        _ => throw new ArgumentOutOfRangeException(nameof(identity)),
    };

    /// <summary>An image tagged v1 with a referrer, a base repository to mount from, spare blobs and two open upload sessions.</summary>
    private static async Task<Seed> SeedAsync(InProcessBerth registry)
    {
        using var alice = registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        using var oscar = registry.ClientAs(AuthScenario.Basic(AuthScenario.Oscar));
        var layer = RandomBytes(100, seed: 7);
        var layerDigest = await alice.PushBlobAsync("team/base", layer);
        await alice.PushBlobAsync(Repo, layer);
        var v1 = await alice.PushImageAsync(Repo, "v1", seed: 1);
        var referrer = await alice.PushImageContentAsync(Repo, seed: 2, subject: v1, artifactType: "application/vnd.example.sig");
        using (var put = await alice.PutManifestAsync(Repo, Sha256(referrer), referrer)) Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        await oscar.PushImageAsync("other/app", "v1", seed: 3);
        var extra = await alice.PushBlobAsync(Repo, RandomBytes(50, seed: 9));
        var v2 = await alice.PushImageContentAsync(Repo, seed: 4);
        return new Seed(layerDigest, v1, extra, await StartUploadAsync(alice), await StartUploadAsync(alice), v2, Sha256(v2));
    }

    private static async Task<string> StartUploadAsync(HttpClient client)
    {
        using var response = await client.PostAsync($"/v2/{Repo}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return response.Headers.Location!.OriginalString.Split('/')[^1];
    }

    private static ByteArrayContent ManifestContent(byte[] manifest)
    {
        var content = new ByteArrayContent(manifest);
        content.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.OciManifest);
        return content;
    }
}
