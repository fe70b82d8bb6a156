using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Berth.Ui.Tests.Support;

/// <summary>
/// Debian's headless chromium driven through its chromedriver, pointed at one Berth; one per test, so cookies
/// (sessions) never leak from one scenario into another.
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private const string DriverDirectory = "/usr/bin";

    private readonly ChromeDriverService _service;
    private readonly string _root;

    public HeadlessChromium(InProcessBerth berth)
    {
        // A missing browser is a broken test machine, not a reason to pass: fail with what to install.
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install the Debian packages chromium and chromium-driver");
        Assert.True(File.Exists(Path.Combine(DriverDirectory, "chromedriver")), "chromedriver is missing: install the Debian package chromium-driver");
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900");
        _service = ChromeDriverService.CreateDefaultService(DriverDirectory);
        _service.HideCommandPromptWindow = true;
        try
        {
            Driver = new ChromeDriver(_service, options);
        }
        catch
        {
            _service.Dispose();
            throw;
        }
        Wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(20));
        _root = berth.Address.ToString().TrimEnd('/');
    }

    public ChromeDriver Driver { get; }

    public WebDriverWait Wait { get; }

    public string PageText => Driver.FindElement(By.TagName("body")).Text;

    /// <summary>Opens a path of the server ("/ui/...").</summary>
    public void Open(string path) => Driver.Navigate().GoToUrl(_root + path);

    /// <summary>Signs in through the login form and waits until the repositories page shows.</summary>
    public void SignIn((string User, string Password) user)
    {
        Open("/ui/login");
        Wait.Until(d => d.FindElement(By.Name("User"))).SendKeys(user.User);
        Driver.FindElement(By.Name("Password")).SendKeys(user.Password);
        Driver.FindElement(By.Name("Password")).Submit();
        Wait.Until(d => d.FindElements(By.CssSelector("h1")).Any(h => h.Text == "Repositories"));
    }

    public IWebElement Find(string css) => Wait.Until(d => d.FindElement(By.CssSelector(css)));

    /// <summary>Into the test output; with UPDATE_UI_SCREENSHOTS=1 also into docs/ui/ for the README.</summary>
    public void Screenshot(string name)
    {
        var shot = Driver.GetScreenshot();
        Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots"));
        shot.SaveAsFile(Path.Combine(AppContext.BaseDirectory, "screenshots", name + ".png"));
        if (Environment.GetEnvironmentVariable("UPDATE_UI_SCREENSHOTS") != "1") return;
        var docs = Path.Combine(RepositoryRoot(), "docs", "ui");
        Directory.CreateDirectory(docs);
        shot.SaveAsFile(Path.Combine(docs, name + ".png"));
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        _service.Dispose();
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
