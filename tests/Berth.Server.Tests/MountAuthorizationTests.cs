using Berth.Oci.Auth;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Berth.Auth;
using Berth.Auth.Access;
using Berth.Auth.Scopes;
using Berth.Auth.Tokens;
using Berth.Server.Tests.Support;

namespace Berth.Server.Tests;

/// <summary>
/// A cross-repository mount (distribution-spec end-11) must never hand a caller a blob from a repository it
/// may not pull, however the query is spelled: ASP.NET Core compares query keys case-insensitively, and a
/// check that read "mount"/"from" one way while the endpoint read them another let "?Mount=…&amp;From=…" through.
/// Every spelling is tried with Basic credentials, a token of the built-in service and an external token.
/// </summary>
public sealed class MountAuthorizationTests : IAsyncLifetime
{
    private const string ExternalIssuer = "https://idp.test";
    private const string Secret = "other/secret";
    private const string Own = "team/app";

    private readonly string _keyFolder = Path.Combine(Path.GetTempPath(), "berth-mount-" + Guid.NewGuid().ToString("N"));
    private readonly ECDsa _externalKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private InProcessBerth _registry = null!;
    private TokenIssuer _external = null!;
    private string _secretDigest = "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_keyFolder);
        var publicKey = Path.Combine(_keyFolder, "idp.pem");
        await File.WriteAllTextAsync(publicKey, _externalKey.ExportSubjectPublicKeyInfoPem());
        _external = new TokenIssuer(TokenKey.FromEcdsa(_externalKey, isPrivate: true), ExternalIssuer, AuthScenario.Service,
            TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), TimeProvider.System);
        _registry = await AuthScenario.StartAsync(options => options with
        {
            ExternalIssuer = new ExternalIssuerOptions { Issuer = ExternalIssuer, PublicKey = publicKey },
            // oscar may also pull and push team/**, so his own rights make the mount legitimate.
            Access = [.. options.Access, new AccessRule { Repositories = "team/**", Users = ["oscar"], Actions = ["pull", "push"] }],
        });
        using var oscar = _registry.ClientAs(AuthScenario.Basic(AuthScenario.Oscar));
        _secretDigest = await oscar.PushBlobAsync(Secret, OciContent.RandomBytes(97, seed: 41));
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _externalKey.Dispose();
        Directory.Delete(_keyFolder, recursive: true);
    }

    public static TheoryData<string, string> HostileMounts()
    {
        string[] callers = ["basic", "berth-token", "external-token"];
        string[] queries =
        [
            "mount={d}&from=other/secret",
            "Mount={d}&From=other/secret",
            "MOUNT={d}&FROM=other/secret",
            "mOuNt={d}&fRoM=other/secret",
            "Mount={d}&from=other/secret",
            "mount={d}&From=other/secret",
            "mount={d}&from=team/app&From=other/secret",
            "mount={d}&From=other/secret&from=team/app",
            "mount={d}&Mount={d}&from=other/secret",
            "Mount={d}&from=",
            "Mount={d}&From=",
            "Mount={d}",
            "MOUNT={d}",
            "mount={d}&from=team/app",
            "Mount={d}&From=team/app",
        ];
        var data = new TheoryData<string, string>();
        foreach (var caller in callers)
        {
            foreach (var query in queries) data.Add(caller, query);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(HostileMounts))]
    public async Task AMountFromARepositoryTheCallerMayNotPull_IsAnOrdinaryUpload_AndTheBlobStaysUnreadable(string caller, string query)
    {
        // alice may do everything in team/** but nothing in other/**.
        using var alice = _registry.ClientAs(Credentials(caller, "alice", AccessScope.Repository(Own, "pull", "push")));
        using var response = await alice.PostAsync($"/v2/{Own}/blobs/uploads/?{query.Replace("{d}", _secretDigest)}", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains($"/v2/{Own}/blobs/uploads/", response.Headers.Location!.OriginalString);
        using var head = await alice.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{Own}/blobs/{_secretDigest}"));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        using var get = await alice.GetAsync($"/v2/{Own}/blobs/{_secretDigest}");
        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
    }

    [Theory]
    [InlineData("basic", "mount={d}&from=other/secret")]
    [InlineData("basic", "Mount={d}&From=other/secret")]
    [InlineData("berth-token", "MOUNT={d}&FROM=other/secret")]
    [InlineData("external-token", "mOuNt={d}&fRoM=other/secret")]
    public async Task ACallerWhoMayPullTheSource_MountsWhateverTheSpelling(string caller, string query)
    {
        using var oscar = _registry.ClientAs(Credentials(caller, "oscar",
            AccessScope.Repository(Own, "pull", "push"), AccessScope.Repository(Secret, "pull")));
        using var response = await oscar.PostAsync($"/v2/{Own}/blobs/uploads/?{query.Replace("{d}", _secretDigest)}", null);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(_secretDigest, response.Header("Docker-Content-Digest"));
        using var get = await oscar.GetAsync($"/v2/{Own}/blobs/{_secretDigest}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    [Theory]
    [InlineData("berth-token")]
    [InlineData("external-token")]
    public async Task ATokenWithoutPullOnTheSource_DoesNotMount_EvenWhenItsUserMayPullIt(string caller)
    {
        // oscar's rules let him pull other/secret, but this token was granted push on team/app only.
        using var oscar = _registry.ClientAs(Credentials(caller, "oscar", AccessScope.Repository(Own, "push")));
        using var response = await oscar.PostAsync($"/v2/{Own}/blobs/uploads/?mount={_secretDigest}&from={Secret}", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var basic = _registry.ClientAs(AuthScenario.Basic(AuthScenario.Alice));
        using var head = await basic.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{Own}/blobs/{_secretDigest}"));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    private AuthenticationHeaderValue Credentials(string caller, string user, params AccessScope[] access) => caller switch
    {
        "basic" => AuthScenario.Basic(user == "alice" ? AuthScenario.Alice : AuthScenario.Oscar),
        "berth-token" => AuthScenario.Bearer(_registry.Token(user, null, access)),
        "external-token" => AuthScenario.Bearer(_external.IssueAccess(user, access).Token),
        _ => throw new ArgumentOutOfRangeException(nameof(caller)),
    };
}
