using Microsoft.Playwright;
using WebLab.Tests;

namespace WebLab.Web.Tests;

/// <summary>
/// The lab in a real browser (Debian's Chromium through Playwright): what a newcomer does first. Screenshots of
/// every page land in screenshots/ next to the test assembly.
/// </summary>
public sealed class BrowserTests
{
    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright)
    {
        const string chromium = "/usr/bin/chromium";
        if (!File.Exists(chromium))
            throw new InvalidOperationException($"{chromium} is missing: tests/prerequisites.sh installs Debian's chromium package.");
        return await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
    }

    /// <summary>Waits until the Blazor circuit is connected (before that, clicks and file inputs go nowhere).</summary>
    private static Task InteractiveAsync(IPage page) =>
        Assertions.Expect(page.Locator("#weblab-interactive")).ToHaveAttributeAsync("data-ready", "yes");

    private static async Task ShotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
    }

    [Fact]
    public async Task Newcomer_RunsTheDemo_WatchesItLive_ReloadsMidJob_AndReadsTheGap()
    {
        if (Environment.GetEnvironmentVariable("WEBLAB_SKIP_BROWSER_TESTS") == "1")
            return; // container builds without a usable Chromium (see the Dockerfile); CI on Debian runs it
        using var data = new TempDir();
        // A 1-epoch demo source keeps the first start short; the real lab pretrains 8 epochs.
        using var lab = new LabProcess(data.Path, new Dictionary<string, string>
        {
            ["WebLab__CreateDemoSource"] = "true",
            ["WebLab__DemoSourceEpochs"] = "1",
        });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        page.SetDefaultTimeout(30_000);

        await page.GotoAsync(lab.Url.ToString());
        await Assertions.Expect(page.GetByText("Does pretraining help on your data?")).ToBeVisibleAsync();
        await ShotAsync(page, "home-first-start");
        var run = page.Locator("#run-demo");
        await Assertions.Expect(run).ToBeEnabledAsync(new LocatorAssertionsToBeEnabledOptions { Timeout = 180_000 }); // source pretrained
        await InteractiveAsync(page);
        await run.ClickAsync();

        await page.WaitForFunctionAsync("() => location.pathname.startsWith('/jobs/job_')"); // client-side navigation: no load event
        await Assertions.Expect(page.Locator("#progress-bar")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 60_000 });
        var firstText = await page.Locator("#progress-text").InnerTextAsync();
        // Curves appear and grow while it runs (transfer solid, scratch dashed).
        await Assertions.Expect(page.Locator("svg.weblab-chart polyline").First).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 60_000 });
        await page.WaitForFunctionAsync("() => document.querySelector('#progress-text')?.innerText !== " + System.Text.Json.JsonSerializer.Serialize(firstText));
        await ShotAsync(page, "experiment-live");

        // Reload mid-job: the page is rebuilt from the database, curves included, and keeps streaming.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#job-title")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("svg.weblab-chart polyline").First).ToBeVisibleAsync();

        var summary = page.Locator("#summary");
        await Assertions.Expect(summary).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 240_000 });
        await Assertions.Expect(summary).ToContainTextAsync("NTG =");
        await Assertions.Expect(summary).ToContainTextAsync("In words: transfer");
        await Assertions.Expect(page.Locator("#job-state")).ToHaveTextAsync("succeeded");
        Assert.True(await page.Locator(".weblab-heat td").CountAsync() >= 25, "a 5x5 confusion matrix");
        await ShotAsync(page, "experiment-done");

        // Try it: an image through the fine-tuned model gives its top-5 classes.
        var image = data.File("sneaker.png");
        await File.WriteAllBytesAsync(image, TestFiles.Image(28, 28, 7, gray: true));
        await page.Locator("#try-it input[type=file]").SetInputFilesAsync(image);
        await Assertions.Expect(page.Locator("#predictions tr")).ToHaveCountAsync(5, new LocatorAssertionsToHaveCountOptions { Timeout = 60_000 });
        await ShotAsync(page, "try-it");

        await page.GotoAsync(new Uri(lab.Url, "/queue").ToString());
        await Assertions.Expect(page.Locator("#queue-table")).ToBeVisibleAsync();
        await ShotAsync(page, "queue");
        await page.GotoAsync(lab.Url.ToString());
        await Assertions.Expect(page.GetByText("Recent experiments")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Demo: Fashion-MNIST")).ToBeVisibleAsync();
        await ShotAsync(page, "home");
    }

    [Fact]
    public async Task UploadingAZip_ShowsItsClasses_CountsAndThumbnails()
    {
        if (Environment.GetEnvironmentVariable("WEBLAB_SKIP_BROWSER_TESTS") == "1")
            return;
        using var data = new TempDir();
        using var lab = new LabProcess(data.Path);
        var entries = new List<(string, byte[])>();
        foreach (var (cls, seed) in new[] { ("cat", 0), ("dog", 50), ("<img src=x onerror=alert(1)>", 100) })
        {
            for (int i = 0; i < 6 + seed / 25; i++)
                entries.Add(($"pets/{cls}/{i}.png", TestFiles.Image(20, 20, seed + i)));
        }
        var zip = TestFiles.Zip(data.File("pets.zip"), entries);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        page.SetDefaultTimeout(120_000); // the 2-core CI machine may be training in parallel tests
        await page.GotoAsync(new Uri(lab.Url, "/datasets").ToString());
        await Assertions.Expect(page.GetByText("Upload a dataset")).ToBeVisibleAsync();
        await InteractiveAsync(page);
        await page.Locator("input[type=file]").SetInputFilesAsync(zip);

        await page.WaitForFunctionAsync("() => location.pathname.startsWith('/datasets/ds_') || document.querySelector('#upload-error')");
        if (await page.Locator("#upload-error").CountAsync() > 0)
        {
            await ShotAsync(page, "upload-failed");
            Assert.Fail("upload failed: " + await page.Locator("#upload-error").InnerTextAsync());
        }
        await Assertions.Expect(page.Locator("#dataset-state")).ToHaveTextAsync("ready");
        var counts = page.Locator("#class-counts");
        await Assertions.Expect(counts).ToContainTextAsync("cat");
        await Assertions.Expect(counts).ToContainTextAsync("<img src=x onerror=alert(1)>"); // user text renders as text, not markup
        Assert.Equal(0, await page.Locator("img[src=x]").CountAsync());
        foreach (var row in await page.Locator("#class-counts tr").AllAsync())
            Assert.InRange(await row.Locator("img.weblab-thumb").CountAsync(), 1, 8); // every class shows thumbnails (at most 8)
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('img.weblab-thumb')].every(i => i.complete && i.naturalWidth > 0)");
        await ShotAsync(page, "dataset");
    }
}
