using System.Net;
using Berth.Ui.Tests.Support;

namespace Berth.Ui.Tests;

/// <summary>The UI over real HTTP (Kestrel on loopback): what each viewer sees, hostile spellings, antiforgery, deletes.</summary>
public sealed class UiHttpTests(SeededBerth seeded) : IClassFixture<SeededBerth>
{
    private InProcessBerth Berth => seeded.Berth;

    [Fact]
    public async Task Root_RedirectsToTheUi()
    {
        using var response = await Berth.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/ui/", response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Anonymous_SeesOnlyPublicRepositories()
    {
        var html = await Berth.Client.GetStringAsync("/ui/");
        Assert.Contains("public/tool", html);
        Assert.DoesNotContain("team/app", html);
        Assert.DoesNotContain("secret-app", html);
        Assert.Contains("Sign in", html);
    }

    [Fact]
    public async Task SignedIn_SeesRepositoriesTagsAndIndexWithReferrers()
    {
        using var alice = Berth.Browser();
        using var signIn = await alice.SignInAsync(UiScenario.Alice);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("berth-ui=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

        var home = await alice.GetStringAsync("/ui/");
        Assert.Contains("team/app", home);
        Assert.Contains("secret-app", home);

        var repository = await alice.GetStringAsync("/ui/r/team/app");
        Assert.Contains("data-tag=\"latest\"", repository);
        Assert.Contains("linux/amd64, linux/arm64", repository);
        Assert.Contains($"docker pull {Berth.Host}/team/app:latest", repository);
        Assert.Contains("podman pull --tls-verify=false", repository);
        Assert.Contains("skopeo copy --src-tls-verify=false", repository);
        Assert.Contains("berth pull --plain-http", repository);
        Assert.Contains("by <span class=\"actor\">alice</span>", repository);

        var index = await alice.GetStringAsync($"/ui/r/team/app/-/manifest/latest");
        Assert.Contains(seeded.IndexDigest, index);
        Assert.Contains("data-testid=\"platform-table\"", index);
        // Razor encodes '+' as &#x2B;, and both media types have a "+json" suffix: compare with the decoded text.
        var indexText = WebUtility.HtmlDecode(index);
        Assert.Contains(UiScenario.ArtifactSignature, indexText);
        Assert.Contains(UiScenario.ArtifactSbom, indexText);
        Assert.Contains("signature", index);

        var history = await alice.GetStringAsync("/ui/r/team/app/-/history/v1");
        Assert.Contains("Moved", history);
        Assert.Contains("Created", history);
    }

    [Fact]
    public async Task Repositories_ShowTheStorageEachUses_CountingSharedLayersOnce()
    {
        var shared = OciContent.RandomBytes(3000, 101);
        var first = TestImage.Create(OciContent.Config(101), shared, OciContent.RandomBytes(5000, 102));
        var second = TestImage.Create(OciContent.Config(102), shared, OciContent.RandomBytes(700, 103));
        await Berth.Registry.PushImageAsync("team/storage", "v1", first);
        await Berth.Registry.PushImageAsync("team/storage", "v2", second);
        // Another tag of the same image takes no more space.
        await Berth.Registry.PushImageAsync("team/storage", "v1-again", first);
        using var alice = Berth.Browser();
        await alice.SignInAsync(UiScenario.Alice);

        var both = Stored(first, second);
        Assert.Equal(first.Blobs.Sum(b => b.Content.Length) + second.Blobs.Sum(b => b.Content.Length) - shared.Length
            + first.Manifest.Length + second.Manifest.Length, both);
        var html = await alice.GetStringAsync("/ui/?q=team/storage");
        Assert.Contains($"data-bytes=\"{both}\"", html);
        Assert.Contains($"{Components.Format.Bytes(both)} stored", html);

        // Deleting the second manifest gives back what only it used; the shared layer stays counted.
        var deleted = await Berth.Registry.Manifests.DeleteAsync("team/storage", second.Digest, Oci.Preconditions.RequestPreconditions.None, "alice");
        Assert.True(deleted.IsSuccess);
        html = await alice.GetStringAsync("/ui/?q=team/storage");
        Assert.Contains($"data-bytes=\"{Stored(first)}\"", html);
    }

    private static long Stored(params TestImage[] images) =>
        images.SelectMany(image => image.Blobs).DistinctBy(blob => blob.Digest).Sum(blob => (long)blob.Content.Length)
        + images.Sum(image => (long)image.Manifest.Length);

    [Fact]
    public async Task Image_ShowsConfigAndLayers()
    {
        using var alice = Berth.Browser();
        await alice.SignInAsync(UiScenario.Alice);
        var html = await alice.GetStringAsync("/ui/r/team/app/-/manifest/1.0-amd64");
        Assert.Contains("/app/server", html);
        Assert.Contains("--port 8080", html);
        Assert.Contains("org.opencontainers.image.source", html);
        Assert.Contains("2026-12-01T10:00:00Z", html);
        Assert.Contains("data-testid=\"layer-table\"", html);
    }

    [Theory]
    [InlineData("/ui/r/private/secret-app")]
    [InlineData("/ui/r/Private/Secret-App")]
    [InlineData("/ui/r/private%2Fsecret-app")]
    [InlineData("/ui/r/%70rivate/secret-app")]
    [InlineData("/ui/r/public/../private/secret-app")]
    [InlineData("/ui/r/public/%2e%2e/private/secret-app")]
    [InlineData("/ui/r/private/secret-app/-/manifest/v1")]
    [InlineData("/ui/r/private/secret-app/-/history/v1")]
    [InlineData("/ui/r/private/secret-app/-/delete/v1")]
    [InlineData("/ui/r/private//secret-app")]
    public async Task WithoutPullRights_APrivateRepositoryIsIndistinguishableFromNone(string path)
    {
        using var rita = Berth.Browser();
        await rita.SignInAsync(UiScenario.Rita);
        foreach (var client in new[] { Berth.Client, rita })
        {
            using var response = await client.GetAsync(path);
            var html = UiScenario.WithoutReturnUrl(await response.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            // The page itself, not an empty body (which would hide nothing and help nobody).
            Assert.Contains("data-testid=\"not-found\"", html);
            Assert.DoesNotContain("secret-app", html);
            using var none = await client.GetAsync("/ui/r/private/no-such-app");
            var noneHtml = await none.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
            Assert.Contains("data-testid=\"not-found\"", noneHtml);
        }
        foreach (var client in new[] { Berth.Client, rita })
        {
            var search = UiScenario.WithoutReturnUrl(await client.GetStringAsync("/ui/?q=secret"));
            Assert.Contains("data-testid=\"no-repositories\"", search);
            Assert.DoesNotContain("secret-app", search);
        }
    }

    [Fact]
    public async Task Reader_SeesNoDeleteAndNoHistory()
    {
        using var rita = Berth.Browser();
        await rita.SignInAsync(UiScenario.Rita);
        var html = await rita.GetStringAsync("/ui/r/team/app");
        Assert.Contains("data-tag=\"latest\"", html);
        Assert.DoesNotContain("/-/delete/", html);
        Assert.DoesNotContain("class=\"actor\"", html);
        using var delete = await rita.GetAsync("/ui/r/team/app/-/delete/latest");
        Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        using var history = await rita.GetAsync("/ui/r/team/app/-/history/v1");
        Assert.Equal(HttpStatusCode.Forbidden, history.StatusCode);
    }

    [Fact]
    public async Task WrongPassword_IsRefusedWithoutASession()
    {
        using var client = Berth.Browser();
        using var response = await client.SignInAsync((UiScenario.Alice.User, "wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("wrong", await response.Content.ReadAsStringAsync());
        Assert.DoesNotContain("team/app", await client.GetStringAsync("/ui/"));
    }

    [Fact]
    public async Task PostsWithoutAValidAntiforgeryToken_AreRefused()
    {
        await Berth.Registry.PushImageAsync("team/antiforgery", "v1", OciContent.RandomBytes(10));
        using var alice = Berth.Browser();
        await alice.SignInAsync(UiScenario.Alice);
        var page = await alice.GetStringAsync("/ui/r/team/antiforgery/-/delete/v1");
        var digest = System.Text.RegularExpressions.Regex.Match(page, "name=\"Expected\" value=\"([^\"]+)\"").Groups[1].Value;
        foreach (var token in new[] { null, "forged" })
        {
            var form = new Dictionary<string, string> { ["_handler"] = "delete", ["Expected"] = digest };
            if (token is not null) form["__RequestVerificationToken"] = token;
            using var response = await alice.PostAsync("/ui/r/team/antiforgery/-/delete/v1", new FormUrlEncodedContent(form));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        // Another user's token does not work with alice's session either.
        using var rita = Berth.Browser();
        var ritaToken = UiScenario.AntiforgeryToken(await rita.GetStringAsync("/ui/login"));
        using var crossed = await alice.PostAsync("/ui/r/team/antiforgery/-/delete/v1", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "delete", ["Expected"] = digest, ["__RequestVerificationToken"] = ritaToken,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, crossed.StatusCode);
        Assert.True(Berth.Registry.Manifests.Read("team/antiforgery", "v1", Oci.Preconditions.RequestPreconditions.None).IsSuccess);
    }

    [Fact]
    public async Task Delete_OfATagThatMovedMeanwhile_IsAConflict_ThenSucceedsAfterReload()
    {
        await Berth.Registry.PushImageAsync("team/conflict", "v1", OciContent.RandomBytes(10));
        using var alice = Berth.Browser();
        await alice.SignInAsync(UiScenario.Alice);
        var confirm = await alice.GetStringAsync("/ui/r/team/conflict/-/delete/v1");
        // Someone else moves the tag while the confirmation page is open.
        var moved = await Berth.Registry.PushImageAsync("team/conflict", "v1", OciContent.RandomBytes(11));

        using var conflict = await PostDeleteAsync(alice, "team/conflict", "v1", confirm);
        var conflictHtml = await conflict.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains("Someone moved v1", conflictHtml);
        Assert.Contains("Nothing was deleted", conflictHtml);
        Assert.Contains("id=\"reload\"", conflictHtml);
        Assert.True(Berth.Registry.Manifests.Read("team/conflict", "v1", Oci.Preconditions.RequestPreconditions.None).IsSuccess);

        var reloaded = await alice.GetStringAsync("/ui/r/team/conflict/-/delete/v1");
        Assert.Contains(moved.ToString(), reloaded);
        using var deleted = await PostDeleteAsync(alice, "team/conflict", "v1", reloaded);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Contains("was deleted", await deleted.Content.ReadAsStringAsync());
        Assert.False(Berth.Registry.Manifests.Read("team/conflict", "v1", Oci.Preconditions.RequestPreconditions.None).IsSuccess);
        var history = Berth.Registry.Manifests.History("team/conflict", "v1", 1).Single();
        Assert.Null(history.NewDigest);
        Assert.Equal("alice", history.Actor);
    }

    [Fact]
    public async Task Assets_AreServedFromTheBinary_WithAStrictPolicy()
    {
        using var page = await Berth.Client.GetAsync("/ui/");
        Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        var html = await page.Content.ReadAsStringAsync();
        var css = System.Text.RegularExpressions.Regex.Match(html, "href=\"(/ui/assets/berth.css[^\"]*)\"").Groups[1].Value;
        using var stylesheet = await Berth.Client.GetAsync(css);
        Assert.Equal(HttpStatusCode.OK, stylesheet.StatusCode);
        Assert.Equal("text/css", stylesheet.Content.Headers.ContentType?.MediaType);
        Assert.Contains("prefers-color-scheme: dark", await stylesheet.Content.ReadAsStringAsync());
    }

    internal static Task<HttpResponseMessage> PostDeleteAsync(HttpClient client, string repository, string reference, string confirmPage)
    {
        var digest = System.Text.RegularExpressions.Regex.Match(confirmPage, "name=\"Expected\" value=\"([^\"]+)\"").Groups[1].Value;
        return client.PostAsync($"/ui/r/{repository}/-/delete/{reference}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "delete",
            ["__RequestVerificationToken"] = UiScenario.AntiforgeryToken(confirmPage),
            ["Expected"] = digest,
        }));
    }
}

/// <summary>ui:enabled false and read-only mode.</summary>
public sealed class UiSettingsTests
{
    [Fact]
    public async Task Disabled_ServesNothingUnderUi()
    {
        await using var berth = await InProcessBerth.StartAsync(server: options => options with { Ui = new Server.Hosting.UiOptions { Enabled = false } });
        using var ui = await berth.Client.GetAsync("/ui/");
        Assert.Equal(HttpStatusCode.NotFound, ui.StatusCode);
        using var root = await berth.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.NotFound, root.StatusCode);
        using var api = await berth.Client.GetAsync("/v2/");
        Assert.Equal(HttpStatusCode.OK, api.StatusCode);
    }

    [Fact]
    public async Task ReadOnly_OffersNoDelete_AndRefusesOne()
    {
        await using var berth = await InProcessBerth.StartAsync();
        await berth.Registry.PushImageAsync("demo/app", "v1", OciContent.RandomBytes(10));
        using var client = berth.Browser();
        var confirm = await client.GetStringAsync("/ui/r/demo/app/-/delete/v1");
        berth.Server.Reload(berth.Server.Options with { Registry = berth.Server.Options.Registry with { ReadOnly = true } });
        var page = await client.GetStringAsync("/ui/r/demo/app");
        Assert.Contains("read-only mode", page);
        Assert.DoesNotContain("/-/delete/", page);
        using var refused = await UiHttpTests.PostDeleteAsync(client, "demo/app", "v1", confirm);
        Assert.Contains("read-only", await refused.Content.ReadAsStringAsync());
        Assert.True(berth.Registry.Manifests.Read("demo/app", "v1", Oci.Preconditions.RequestPreconditions.None).IsSuccess);
    }
}

/// <summary>The session-cookie keys: kept in the metadata store, stored without the framework's warning at each start.</summary>
public sealed class UiKeyStorageTests
{
    [Fact]
    public async Task Keys_AreKeptInTheMetadataStore_NotTheDataFolder_AndNoUnencryptedKeyWarningIsLogged()
    {
        var data = TemporaryFolder.NewPath();
        var log = new CapturedLog();
        try
        {
            await using (var berth = await InProcessBerth.StartAsync(dataDirectory: data, backend: TestBackend.Embedded,
                server: options => options with { LoggerProviders = [log] }))
            {
                // The login form's antiforgery token is the first thing encrypted: it makes the first key.
                using var form = await berth.Client.GetAsync("/ui/login");
                Assert.Equal(HttpStatusCode.OK, form.StatusCode);
            }
            Assert.False(Directory.Exists(Path.Combine(data, "ui")));
            using (var store = new Storage.Metadata.SqliteMetadataStore(Path.Combine(data, "metadata.db")))
            {
                Assert.StartsWith("<key ", Assert.Single(store.ReadKeyRing()), StringComparison.Ordinal);
            }
            Assert.DoesNotContain(log.Entries, entry => entry.Message.Contains("No XML encryptor", StringComparison.Ordinal));
            Assert.DoesNotContain(log.Entries, entry => entry.Category.StartsWith("Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task KeysThatAnOlderBerthKeptInUiKeys_AreImportedOnce_SoItsSessionsStayValid()
    {
        var old = TemporaryFolder.NewPath();
        var upgraded = TemporaryFolder.NewPath();
        try
        {
            // A session made with keys that are then written out as the files of an older Berth's "ui/keys".
            string cookies;
            await using (var before = await StartAsync(old))
            {
                var jar = new CookieContainer();
                using var alice = before.Browser(jar);
                await alice.SignInAsync(UiScenario.Alice);
                cookies = jar.GetCookieHeader(new Uri(before.Address, "/ui/"));
            }
            var keys = Directory.CreateDirectory(Path.Combine(upgraded, "ui", "keys")).FullName;
            using (var store = new Storage.Metadata.SqliteMetadataStore(Path.Combine(old, "metadata.db")))
            {
                foreach (var xml in store.ReadKeyRing())
                {
                    var id = System.Xml.Linq.XElement.Parse(xml).Attribute("id")!.Value;
                    await File.WriteAllTextAsync(Path.Combine(keys, $"key-{id}.xml"), xml);
                }
            }
            var files = Directory.GetFiles(keys);
            Assert.Single(files);

            await using (var after = await StartAsync(upgraded))
            {
                using var client = ClientWithCookies(after, cookies);
                Assert.Contains("data-testid=\"signed-in-user\"", await client.GetStringAsync("/ui/"));
            }
            using (var store = new Storage.Metadata.SqliteMetadataStore(Path.Combine(upgraded, "metadata.db")))
            {
                Assert.Single(store.ReadKeyRing());
            }
            // Left alone: neither deleted nor changed.
            Assert.Equal(files, Directory.GetFiles(keys));
        }
        finally
        {
            Directory.Delete(old, recursive: true);
            Directory.Delete(upgraded, recursive: true);
        }
    }

    /// <summary>The same users before and after the upgrade: UiScenario.Auth hashes the passwords afresh (new salt) each time.</summary>
    private static readonly Auth.AuthOptions Auth = UiScenario.Auth;

    private static Task<InProcessBerth> StartAsync(string data) =>
        InProcessBerth.StartAsync(dataDirectory: data, backend: TestBackend.Embedded, server: options => options with { Auth = Auth });

    /// <summary>A client of <paramref name="berth"/> that sends exactly <paramref name="cookies"/>, as a browser moved to another replica would.</summary>
    internal static HttpClient ClientWithCookies(InProcessBerth berth, string cookies)
    {
        var client = berth.NewClient();
        client.DefaultRequestHeaders.Add("Cookie", cookies);
        return client;
    }
}
