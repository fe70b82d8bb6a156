using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using OpenQA.Selenium;
using Berth.Ui.Browsing;
using Berth.Ui.Tests.Support;

namespace Berth.Ui.Tests;

/// <summary>
/// The UI in a real headless chromium, as people use it: sign-in, browsing, search, a tag's history, a delete that
/// races with a push, and what a user without rights does not see; screenshots of the pages for the README.
/// </summary>
public sealed class UiBrowserTests(SeededBerth seeded) : IClassFixture<SeededBerth>
{
    [Fact]
    public void SignIn_Browse_OpenIndexWithReferrers()
    {
        using var browser = new HeadlessChromium(seeded.Berth);
        browser.SignIn(UiScenario.Alice);
        browser.Wait.Until(d => d.PageSource.Contains("team/app", StringComparison.Ordinal));
        browser.Screenshot("repositories");

        browser.Open("/ui/r/team/app");
        browser.Find("[data-tag=\"latest\"]");
        browser.Screenshot("repository");

        browser.Open("/ui/r/team/app/-/manifest/latest");
        var referrers = browser.Find("[data-testid=\"referrers\"]");
        Assert.Contains(UiScenario.ArtifactSignature, referrers.Text);
        Assert.Contains(UiScenario.ArtifactSbom, referrers.Text);
        browser.Find("[data-testid=\"platform-table\"]");
        browser.Screenshot("index");
    }

    [Fact]
    public void Search_FindsTheMatchingRepository_AndHidesTheOthers()
    {
        using var browser = new HeadlessChromium(seeded.Berth);
        browser.SignIn(UiScenario.Alice);
        Assert.Equal(["private/secret-app", "public/tool", "team/app"], RepositoryNames(browser));

        var search = browser.Find("#repository-search");
        search.SendKeys("team/");
        search.Submit();
        browser.Wait.Until(d => d.Url.Contains("q=team", StringComparison.Ordinal));

        Assert.Equal(["team/app"], RepositoryNames(browser));
        Assert.Equal("team/", browser.Find("#repository-search").GetAttribute("value"));
        Assert.Contains("Names containing team/", browser.PageText);
        browser.Driver.FindElement(By.LinkText("team/app")).Click();
        browser.Find("[data-tag=\"latest\"]");
    }

    [Fact]
    public void History_ShowsEveryMoveOfATag_WithDigestsAndActor()
    {
        using var browser = new HeadlessChromium(seeded.Berth);
        browser.SignIn(UiScenario.Alice);
        browser.Open("/ui/r/team/app");
        browser.Find("a[aria-label=\"History of v1\"]").Click();

        var items = browser.Wait.Until(d => d.FindElements(By.CssSelector("[data-testid=\"timeline\"] > li")) is { Count: > 0 } found ? found : null);
        var amd64 = Deletion.ShortDigest(UiScenario.Image("amd64", seed: 1).Digest);
        var index = Deletion.ShortDigest(seeded.IndexDigest);
        Assert.Equal(2, items.Count);
        // Newest first: v1 was pushed as the amd64 image, then alice moved it to the index.
        Assert.StartsWith("Moved by alice", items[0].Text);
        Assert.Contains($"{amd64} → {index}", items[0].Text);
        Assert.StartsWith("Created by", items[1].Text);
        Assert.Contains(amd64, items[1].Text);
        Assert.DoesNotContain(index, items[1].Text);
        Assert.Contains($"Now at {index}", browser.PageText);
        browser.Screenshot("history");
    }

    [Fact]
    public async Task Delete_OfATagMovedMeanwhile_IsRefusedInPlainWords_ThenSucceedsAfterReload()
    {
        // A tag of its own, so the other scenarios see team/app as seeded.
        var before = await seeded.Berth.Registry.PushImageAsync("team/app", "doomed", UiScenario.Image("amd64", seed: 11));
        using var browser = new HeadlessChromium(seeded.Berth);
        browser.SignIn(UiScenario.Alice);
        browser.Open("/ui/r/team/app");
        browser.Find("a[aria-label=\"Delete tag doomed\"]").Click();
        Assert.Equal(before.ToString(), browser.Find("[data-testid=\"confirm-digest\"]").Text);

        // Someone pushes over the tag while the confirmation page is open.
        var moved = await seeded.Berth.Registry.PushImageAsync("team/app", "doomed", UiScenario.Image("amd64", seed: 12));
        browser.Find("#confirm-delete").Click();
        var conflict = browser.Find("[data-testid=\"delete-conflict\"]");
        Assert.Contains("Not deleted: the tag changed", conflict.Text);
        Assert.Contains($"Someone moved doomed after you opened the confirmation page: it now points at {Deletion.ShortDigest(moved)}, not {Deletion.ShortDigest(before)}. Nothing was deleted.", conflict.Text);
        browser.Screenshot("conflict");
        Assert.Equal(HttpStatusCode.OK, await ManifestStatusAsync("doomed"));

        browser.Find("#reload").Click();
        browser.Wait.Until(d => d.FindElement(By.CssSelector("[data-testid=\"confirm-digest\"]")).Text == moved.ToString());
        browser.Find("#confirm-delete").Click();
        Assert.Contains("Tag doomed was deleted from team/app.", browser.Find("[data-testid=\"delete-done\"]").Text);

        Assert.Equal(HttpStatusCode.NotFound, await ManifestStatusAsync("doomed"));
        var tags = await TagsAsync("team/app");
        Assert.DoesNotContain("doomed", tags);
        Assert.Superset(new HashSet<string> { "latest", "v1", "1.0-amd64" }, tags.ToHashSet());
    }

    [Fact]
    public void WithoutPullRights_APrivateRepositoryShowsNowhere_NotEvenItsName()
    {
        foreach (var user in new (string User, string Password)?[] { UiScenario.Rita, null })
        {
            using var browser = new HeadlessChromium(seeded.Berth);
            if (user is { } signingIn) browser.SignIn(signingIn);
            else browser.Open("/ui/");
            browser.Find("[data-testid=\"repository-list\"]");
            // What each can see is there, so the absence of the private one is not an empty page.
            Assert.Contains(user is null ? "public/tool" : "team/app", RepositoryNames(browser));
            AssertNothingOfTheSecret(browser);

            var search = browser.Find("#repository-search");
            search.SendKeys("secret");
            search.Submit();
            browser.Find("[data-testid=\"no-repositories\"]");
            AssertNothingOfTheSecret(browser, searched: true);

            foreach (var path in new[] { "/ui/r/private/secret-app", "/ui/r/private/secret-app/-/manifest/v1", "/ui/r/private/secret-app/-/history/v1" })
            {
                browser.Open(path);
                Assert.True(browser.Driver.FindElements(By.CssSelector("[data-testid=\"not-found\"]")).Count == 1,
                    $"{path} as {user?.User ?? "anonymous"}: {browser.PageText}");
                Assert.Contains("There is no such repository or manifest", browser.PageText);
                AssertNothingOfTheSecret(browser);
            }
        }
    }

    private static void AssertNothingOfTheSecret(HeadlessChromium browser, bool searched = false)
    {
        var source = UiScenario.WithoutReturnUrl(browser.Driver.PageSource);
        // The search page repeats the term typed ("secret"), never a name that contains it.
        Assert.DoesNotContain("secret-app", source);
        Assert.DoesNotContain("private/", source);
        if (!searched) Assert.DoesNotContain("secret", browser.Driver.Title);
    }

    private static List<string> RepositoryNames(HeadlessChromium browser) =>
        browser.Driver.FindElements(By.CssSelector("[data-testid=\"repository-list\"] .repository-name")).Select(link => link.Text).Order(StringComparer.Ordinal).ToList();

    private async Task<HttpStatusCode> ManifestStatusAsync(string tag)
    {
        using var request = AsAlice(new HttpRequestMessage(HttpMethod.Head, $"/v2/team/app/manifests/{tag}"));
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var response = await seeded.Berth.Client.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<List<string>> TagsAsync(string repository)
    {
        using var request = AsAlice(new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/tags/list"));
        using var response = await seeded.Berth.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("tags").EnumerateArray().Select(tag => tag.GetString()!).ToList();
    }

    private static HttpRequestMessage AsAlice(HttpRequestMessage request)
    {
        var credentials = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{UiScenario.Alice.User}:{UiScenario.Alice.Password}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", credentials);
        return request;
    }
}
