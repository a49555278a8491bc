// A real browser for page tests: Debian's chromium driven by chromium-driver through Selenium WebDriver,
// headless, sandbox off (root), no network services of its own (no updates, sync or background requests),
// a fresh profile in a temporary directory that goes with the browser. The driver path is given, so
// Selenium Manager never tries to download a browser or driver. Missing packages fail with what to install.
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Netsight.IntegrationTests.Lab;

public sealed class Browser : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private const string Driver = "/usr/bin/chromedriver";
    private readonly string _profile;

    public Browser(int width = 1400, int height = 900)
    {
        if (!File.Exists(Chromium) || !File.Exists(Driver))
            Assert.Fail("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver; scripts/install-deps.sh test does it)");
        _profile = Directory.CreateTempSubdirectory("netsight-chromium-").FullName;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps", "--user-data-dir=" + _profile,
            $"--window-size={width},{height}");
        ChromeDriverService service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        try
        {
            Page = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        }
        catch
        {
            Directory.Delete(_profile, recursive: true);
            throw;
        }
    }

    public ChromeDriver Page { get; }

    /// <summary>Waits (bounded) until the script returns true.</summary>
    public void WaitFor(string script, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!(Page.ExecuteScript("return !!(" + script + ");") is true))
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting for {what}; page text: {Page.FindElement(By.TagName("body")).Text}");
            Thread.Sleep(100);
        }
    }

    /// <summary>Saves a PNG screenshot and returns its path.</summary>
    public string Screenshot(string path)
    {
        Page.GetScreenshot().SaveAsFile(path);
        return path;
    }

    public void Dispose()
    {
        try { Page.Quit(); } catch (WebDriverException) { }
        Page.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { }
    }
}
