using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using Berth.Ui.Tests.Support;

namespace Berth.Ui.Tests;

/// <summary>The UI in a real headless chromium: sign-in, browsing, the index with referrers; screenshots of the pages.</summary>
public sealed class UiBrowserTests(SeededBerth seeded) : IClassFixture<SeededBerth>
{
    private const string Chromium = "/usr/bin/chromium";
    private const string DriverDirectory = "/usr/bin";

    [Fact]
    public void SignIn_Browse_OpenIndexWithReferrers()
    {
        // A missing browser is a broken test machine, not a reason to pass: fail with what to install.
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install the Debian packages chromium and chromium-driver");
        Assert.True(File.Exists(Path.Combine(DriverDirectory, "chromedriver")), "chromedriver is missing: install the Debian package chromium-driver");
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900");
        using var service = ChromeDriverService.CreateDefaultService(DriverDirectory);
        service.HideCommandPromptWindow = true;
        using var driver = new ChromeDriver(service, options);
        var wait = new WebDriverWait(driver, TimeSpan.FromSeconds(20));
        var root = seeded.Berth.Address.ToString().TrimEnd('/');

        driver.Navigate().GoToUrl(root + "/ui/login");
        wait.Until(d => d.FindElement(By.Name("User"))).SendKeys(UiScenario.Alice.User);
        driver.FindElement(By.Name("Password")).SendKeys(UiScenario.Alice.Password);
        driver.FindElement(By.Name("Password")).Submit();
        wait.Until(d => d.PageSource.Contains("team/app", StringComparison.Ordinal));
        Screenshot(driver, "repositories");

        driver.Navigate().GoToUrl(root + "/ui/r/team/app");
        wait.Until(d => d.FindElement(By.CssSelector("[data-tag=\"latest\"]")));
        Screenshot(driver, "repository");

        driver.Navigate().GoToUrl(root + "/ui/r/team/app/-/manifest/latest");
        var referrers = wait.Until(d => d.FindElement(By.CssSelector("[data-testid=\"referrers\"]")));
        Assert.Contains(UiScenario.ArtifactSignature, referrers.Text);
        Assert.Contains(UiScenario.ArtifactSbom, referrers.Text);
        driver.FindElement(By.CssSelector("[data-testid=\"platform-table\"]"));
        Screenshot(driver, "index");
    }

    /// <summary>Into the test output; with UPDATE_UI_SCREENSHOTS=1 also into docs/ui/ for the README.</summary>
    private static void Screenshot(ChromeDriver driver, string name)
    {
        var shot = driver.GetScreenshot();
        Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots"));
        shot.SaveAsFile(Path.Combine(AppContext.BaseDirectory, "screenshots", name + ".png"));
        if (Environment.GetEnvironmentVariable("UPDATE_UI_SCREENSHOTS") != "1") return;
        var docs = Path.Combine(RepositoryRoot(), "docs", "ui");
        Directory.CreateDirectory(docs);
        shot.SaveAsFile(Path.Combine(docs, name + ".png"));
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Berth.slnx"))) return directory.FullName;
        }
        throw new InvalidOperationException("Berth.slnx not found above the test output");
    }
}
