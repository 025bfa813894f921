using Microsoft.Playwright;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace AutoHeal.Ui.Tests;

/// <summary>The browser tests share one engine, one real autoheal and one headless Chromium; they never run in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>
{
    public const string Name = "dashboard in a browser";
}

public sealed class DashboardFixture : IAsyncLifetime
{
    /// <summary>Debian's Chromium (<c>apt-get install chromium</c>); AUTOHEAL_CHROMIUM points elsewhere.</summary>
    public static string ChromiumPath =>
        Environment.GetEnvironmentVariable("AUTOHEAL_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public DockerCli Docker { get; } = new();

    public AutoHealProcess AutoHeal { get; private set; } = default!;

    public IBrowser Browser { get; private set; } = default!;

    /// <summary>docs/screenshots of the repository, where the README's pictures live.</summary>
    public static string ScreenshotDir
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "AutoHeal.sln")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "docs", "screenshots");
        }
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            // Fail, never skip: a dashboard that was not tested must not look green.
            throw new InvalidOperationException(
                $"Chromium was not found at {ChromiumPath}. Install it with `apt-get install -y chromium` (CI does), or set AUTOHEAL_CHROMIUM.");
        }

        var (code, _, stderr) = await DockerCli.TryRunAsync("image", "inspect", DockerCli.Image);
        if (code != 0)
        {
            throw new InvalidOperationException(
                $"The test image {DockerCli.Image} is missing or no engine answers ({stderr.Trim()}). Run scripts/docker-engine (scripts/test does) first.");
        }

        AutoHeal = new AutoHealProcess(Docker);
        await AutoHeal.StartAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        Directory.CreateDirectory(ScreenshotDir);
    }

    /// <summary>A fresh tab (its own session storage) on the dashboard, signed in.</summary>
    public async Task<IPage> SignedInPageAsync(string path = "")
    {
        var page = await NewPageAsync();
        await page.GotoAsync(new Uri(AutoHeal.BaseAddress, path).ToString());
        await page.GetByLabel("API token").FillAsync(AutoHeal.Token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Sections" })).ToBeVisibleAsync();
        return page;
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 860 },
            ColorScheme = ColorScheme.Light,
            AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(20_000);
        return page;
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDir, name), FullPage = true });

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (AutoHeal is not null)
        {
            await AutoHeal.DisposeAsync();
        }

        AutoHealProcess.KillLeftovers();
        await Docker.CleanupAsync();
    }
}
