using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Berth.Auth;
using Berth.Auth.Access;
using Berth.Auth.Users;
using Berth.Oci.Manifests;
using Berth.Registry;

namespace Berth.Ui.Tests.Support;

/// <summary>
/// A registry with users and content for the UI tests: alice may do everything under team/**, rita may only pull
/// team/**, anybody may pull public/**, and private/secret-app is nobody's but alice's (under team rules it is not).
/// team/app holds an index of two platforms with a signature and an SBOM (itself signed), and tag "v1" that moved.
/// </summary>
public static partial class UiScenario
{
    public static readonly (string User, string Password) Alice = ("alice", "alice-secret");
    public static readonly (string User, string Password) Rita = ("rita", "rita-secret");

    public static AuthOptions Auth => new()
    {
        Service = "berth-test",
        Users =
        [
            new ConfiguredUser { Name = Alice.User, PasswordHash = BcryptPassword.Hash(Alice.Password, 4) },
            new ConfiguredUser { Name = Rita.User, PasswordHash = BcryptPassword.Hash(Rita.Password, 4) },
        ],
        Access =
        [
            new AccessRule { Repositories = "team/**", Users = [Alice.User], Actions = ["*"] },
            new AccessRule { Repositories = "private/**", Users = [Alice.User], Actions = ["*"] },
            new AccessRule { Repositories = "team/**", Users = [Rita.User], Actions = ["pull"] },
            new AccessRule { Repositories = "public/**", Anonymous = true, Actions = ["pull"] },
        ],
    };

    public static Task<InProcessBerth> StartAsync(bool readOnly = false) =>
        InProcessBerth.StartAsync(registry => registry with { ReadOnly = readOnly },
            server: options => options with { Auth = Auth });

    public const string ArtifactSignature = "application/vnd.dev.cosign.artifact.sig.v1+json";
    public const string ArtifactSbom = "application/spdx+json";

    /// <summary>The index's digest.</summary>
    public static async Task<string> SeedAsync(BerthRegistry registry)
    {
        var amd = Image("amd64", seed: 1);
        var arm = Image("arm64", seed: 2);
        await registry.PushImageAsync("team/app", amd.Digest, amd);
        await registry.PushImageAsync("team/app", arm.Digest, arm);
        var index = OciContent.Index([
            Platform(amd, "amd64"), Platform(arm, "arm64"),
        ]);
        var indexBytes = OciContent.Bytes(index);
        var written = await registry.Manifests.PutAsync(new Registry.Operations.ManifestPut
        {
            Name = "team/app", Reference = "latest", ContentType = MediaTypes.OciIndex, Body = new MemoryStream(indexBytes), Actor = "alice",
        }, CancellationToken.None);
        Assert.True(written.IsSuccess, written.Error?.Message);
        var indexDescriptor = OciContent.Descriptor(MediaTypes.OciIndex, indexBytes);
        var signature = TestImage.Create(OciContent.EmptyJson, [Encoding.UTF8.GetBytes("signature of the index")], indexDescriptor, ArtifactSignature);
        await PushArtifactAsync(registry, signature);
        var sbom = TestImage.Create(OciContent.EmptyJson, [Encoding.UTF8.GetBytes("{\"spdxVersion\":\"SPDX-2.3\"}")], indexDescriptor, ArtifactSbom);
        await PushArtifactAsync(registry, sbom);
        var sbomSignature = TestImage.Create(OciContent.EmptyJson, [Encoding.UTF8.GetBytes("signature of the sbom")],
            OciContent.Descriptor(MediaTypes.OciManifest, sbom.Manifest), ArtifactSignature);
        await PushArtifactAsync(registry, sbomSignature);

        // v1 moves: first amd64 alone, then the index.
        await registry.PushImageAsync("team/app", "v1", amd);
        var moved = await registry.Manifests.PutAsync(new Registry.Operations.ManifestPut
        {
            Name = "team/app", Reference = "v1", ContentType = MediaTypes.OciIndex, Body = new MemoryStream(indexBytes), Actor = "alice",
        }, CancellationToken.None);
        Assert.True(moved.IsSuccess);
        await registry.PushImageAsync("team/app", "1.0-amd64", amd);
        await registry.PushImageAsync("public/tool", "stable", Image("amd64", seed: 3));
        await registry.PushImageAsync("private/secret-app", "v1", Image("amd64", seed: 4));
        return written.Value.Digest.ToString();
    }

    public static TestImage Image(string architecture, int seed)
    {
        var config = new JsonObject
        {
            ["architecture"] = architecture,
            ["os"] = "linux",
            ["created"] = "2026-12-01T10:00:00Z",
            ["config"] = new JsonObject
            {
                ["Entrypoint"] = new JsonArray("/app/server"),
                ["Cmd"] = new JsonArray("--port", "8080"),
                ["Labels"] = new JsonObject { ["org.opencontainers.image.source"] = "https://example.com/app", ["seed"] = seed.ToString() },
            },
        };
        return TestImage.Create(OciContent.Bytes(config), OciContent.RandomBytes(2000 + seed, seed));
    }

    private static JsonObject Platform(TestImage image, string architecture)
    {
        var descriptor = OciContent.Descriptor(MediaTypes.OciManifest, image.Manifest);
        descriptor["platform"] = new JsonObject { ["os"] = "linux", ["architecture"] = architecture };
        return descriptor;
    }

    private static async Task PushArtifactAsync(BerthRegistry registry, TestImage artifact) =>
        await registry.PushImageAsync("team/app", artifact.Digest, artifact);

    /// <summary>A client with its own cookie jar, following no redirects, so each test sees every response.</summary>
    /// <param name="cookies">The cookie jar, when the test reads what it holds; a new one by default.</param>
    public static HttpClient Browser(this InProcessBerth berth, CookieContainer? cookies = null) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = cookies ?? new CookieContainer() })
        {
            BaseAddress = berth.Address,
        };

    public static string AntiforgeryToken(string html) =>
        TokenPattern().Match(html) is { Success: true } match ? WebUtility.HtmlDecode(match.Groups[1].Value) : throw new Xunit.Sdk.XunitException("no antiforgery token in the page");

    public static async Task<HttpResponseMessage> SignInAsync(this HttpClient client, (string User, string Password) user)
    {
        var form = await client.GetStringAsync("/ui/login");
        return await client.PostAsync("/ui/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["__RequestVerificationToken"] = AntiforgeryToken(form),
            ["User"] = user.User,
            ["Password"] = user.Password,
            ["ReturnUrl"] = "/ui/",
        }));
    }

    /// <summary>
    /// The page without the "Sign in" link's return address: that link repeats the path the visitor asked for,
    /// which tells them nothing they did not send.
    /// </summary>
    public static string WithoutReturnUrl(string html) => ReturnUrlPattern().Replace(html, "returnUrl=");

    [GeneratedRegex("returnUrl=[^\"]*")]
    private static partial Regex ReturnUrlPattern();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();
}
