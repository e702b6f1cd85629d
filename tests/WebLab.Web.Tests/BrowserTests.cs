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
            ["WebLab__InstallZooSource"] = "false",
            ["WebLab__DemoSourceEpochs"] = "1",
        });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        page.SetDefaultTimeout(30_000);

        // Nobody signed in: the lab sends the browser to its sign-in page.
        await page.GotoAsync(lab.Url.ToString());
        await Assertions.Expect(page.Locator("#sign-in")).ToBeVisibleAsync();
        await ShotAsync(page, "sign-in");
        await SignInWithLinkAsync(page, lab, "newcomer");
        await page.GotoAsync(lab.Url.ToString());
        await Assertions.Expect(page.GetByText("Does pretraining help on your data?")).ToBeVisibleAsync();
        await ShotAsync(page, "home-first-start");
        // The second demo needs the lab's ImageNet source, which this lab does not install: its button says why it waits.
        await Assertions.Expect(page.Locator("#colour-demo-unavailable")).ToContainTextAsync("no ImageNet ResNet-18 source");
        await Assertions.Expect(page.Locator("#run-colour-demo")).ToBeDisabledAsync();
        var run = page.Locator("#run-demo");
        await Assertions.Expect(run).ToBeEnabledAsync(new LocatorAssertionsToBeEnabledOptions { Timeout = 600_000 }); // source pretrained (slow when the machine is busy)
        await InteractiveAsync(page);
        await run.ClickAsync();

        await page.WaitForFunctionAsync("() => location.pathname.startsWith('/jobs/job_')"); // client-side navigation: no load event
        await Assertions.Expect(page.GetByText("experiment by newcomer")).ToBeVisibleAsync(); // the job carries the signed-in name
        await Assertions.Expect(page.Locator("#cancel")).ToBeVisibleAsync(); // and it is yours to cancel

        // Another member sees the run but cannot cancel it: no button on the page, and 403 from the API.
        var demoId = new Uri(page.Url).AbsolutePath.Split('/')[^1];
        await using (var other = await browser.NewContextAsync())
        {
            var bobPage = await other.NewPageAsync();
            await SignInWithLinkAsync(bobPage, lab, "bob");
            await bobPage.GotoAsync(page.Url);
            await Assertions.Expect(bobPage.Locator("#not-yours")).ToContainTextAsync("Only newcomer can cancel");
            Assert.Equal(0, await bobPage.Locator("#cancel").CountAsync());
            using var bobApi = lab.ClientWith(await lab.AddUserAsync("bob-script", "member"));
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await bobApi.PostAsync($"/api/jobs/{demoId}/cancel", null)).StatusCode);
        }
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

        // A confusion cell off the diagonal opens the test images the model got wrong there, rendered by the worker.
        await page.Locator("#confusion td[role=button]").First.ClickAsync();
        var misclassified = page.Locator("#misclassified");
        await Assertions.Expect(misclassified).ToContainTextAsync("True class");
        await Assertions.Expect(misclassified).ToContainTextAsync("predicted");
        Assert.True(await misclassified.Locator("img.weblab-thumb").CountAsync() >= 1, "the cell's images are shown");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#misclassified img.weblab-thumb')].every(i => i.complete && i.naturalWidth === 28)");
        await misclassified.ScrollIntoViewIfNeededAsync();
        await ShotAsync(page, "confusion-cell");

        // Try it: an image through the fine-tuned model gives its top-5 classes.
        var image = data.File("sneaker.png");
        await File.WriteAllBytesAsync(image, TestFiles.Image(28, 28, 7, gray: true));
        await page.Locator("#try-it input[type=file]").SetInputFilesAsync(image);
        await Assertions.Expect(page.Locator("#predictions tr")).ToHaveCountAsync(5, new LocatorAssertionsToHaveCountOptions { Timeout = 60_000 });
        await ShotAsync(page, "try-it");

        // Clone and edit: the stepper opens with the demo's settings; the preset step shows its cards.
        var demoJob = new Uri(page.Url).AbsolutePath.Split('/')[^1];
        await page.Locator("#clone").ClickAsync();
        await Assertions.Expect(page.Locator("#cloned-from")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#stepper")).ToBeVisibleAsync();
        await ShotAsync(page, "new-experiment-clone");
        // The dials step shows the input size the rule gives for the demo's 28 px source here, and what size costs.
        await page.GetByText("Dials", new PageGetByTextOptions { Exact = true }).First.ClickAsync();
        await Assertions.Expect(page.Locator("#input-size-help")).ToContainTextAsync("28 px: the source's own size");
        await Assertions.Expect(page.Locator("#input-size-help")).ToContainTextAsync("Compute grows with pixels");

        // The zoo: the demo source and the fine-tuned model, with the import and pretraining forms; Compare with the demo.
        await page.GotoAsync(new Uri(lab.Url, "/checkpoints").ToString());
        await Assertions.Expect(page.Locator("#checkpoints-table tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#pretrain-submit")).ToBeVisibleAsync();
        await ShotAsync(page, "checkpoints");
        await page.GotoAsync(new Uri(lab.Url, $"/compare?ids={demoJob}").ToString());
        await Assertions.Expect(page.Locator("svg.weblab-chart").First).ToBeVisibleAsync();
        await ShotAsync(page, "compare");

        await page.GotoAsync(new Uri(lab.Url, "/queue").ToString());
        await Assertions.Expect(page.Locator("#queue-table")).ToBeVisibleAsync();
        await ShotAsync(page, "queue");
        await page.GotoAsync(lab.Url.ToString());
        await Assertions.Expect(page.GetByText("Recent experiments")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Demo: Fashion-MNIST")).ToBeVisibleAsync();
        await ShotAsync(page, "home");
    }

    [Fact]
    public async Task ValidationPage_SaysWhenThereIsNoStudy_ThenShowsVerdictsTablesAndPlots()
    {
        if (Environment.GetEnvironmentVariable("WEBLAB_SKIP_BROWSER_TESTS") == "1")
            return;
        using var data = new TempDir();
        using var study = new TempDir();
        using var lab = new LabProcess(data.Path, new Dictionary<string, string> { ["WebLab__StudyFolder"] = study.Path });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        page.SetDefaultTimeout(60_000);
        await SignInWithLinkAsync(page, lab, "reader");

        // No study.json yet: a plain sentence, no path, reached from the menu.
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Validation" }).ClickAsync();
        await page.WaitForURLAsync("**/validation");
        await Assertions.Expect(page.Locator("#study-missing")).ToContainTextAsync("No study results in this build: run `weblab study`");
        Assert.DoesNotContain(study.Path, await page.ContentAsync(), StringComparison.Ordinal);

        await File.WriteAllTextAsync(study.File(WebLab.Transfer.StudySummary.FileName), WebLabJson.Serialize(Study.SampleStudy.Summary()));
        await File.WriteAllTextAsync(study.File(Study.SampleStudy.Plot), Study.SampleStudy.Svg);
        var plot = await page.RunAndWaitForResponseAsync(() => page.ReloadAsync(), r => r.Url.Contains("/validation/plots/", StringComparison.Ordinal));
        Assert.Equal(200, plot.Status);
        Assert.Equal("image/svg+xml", (await plot.AllHeadersAsync())["content-type"]);

        var verdicts = page.Locator("#study-verdicts");
        await Assertions.Expect(verdicts).ToContainTextAsync("Transfer beats scratch on a small similar target");
        await Assertions.Expect(verdicts.Locator(".weblab-outcome")).ToHaveTextAsync(["holds", "fails", "undecided"]);
        await Assertions.Expect(page.Locator("#study-header")).ToContainTextAsync("quick (a smaller plan than the full study)");
        var row = page.Locator(".study-task tr", new PageLocatorOptions { HasText = "linear-probe" });
        await Assertions.Expect(row).ToContainTextAsync("79.6 % [78.2, 81.0]");
        await Assertions.Expect(row).ToContainTextAsync("-8.1 pt [-10.0, -6.2]");
        await Assertions.Expect(page.Locator("#study-measures")).ToContainTextAsync("+0.51 [+0.18, +0.80] p < 0.001");
        await Assertions.Expect(page.Locator("#study-recommender")).ToContainTextAsync("3 of 4 (75 %), Wilson 95 % interval [30, 95] %");
        await Assertions.Expect(page.Locator("#study-reuse")).ToContainTextAsync("9 of 24 scratch runs");
        // The plot shows; the one listed without its file says so; the SVG's script never ran.
        await Assertions.Expect(page.Locator("#study-plots img.weblab-plot")).ToHaveCountAsync(1);
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('img.weblab-plot')].every(i => i.complete && i.naturalWidth > 0)");
        await Assertions.Expect(page.Locator("#study-plots")).ToContainTextAsync("not in this build");
        Assert.Equal("Validation - WebLab", await page.TitleAsync());
        await ShotAsync(page, "validation");
    }

    /// <summary>
    /// Adds a member with the CLI, makes their one-time sign-in link (as an admin invites someone) and follows it;
    /// returns the API token 'weblab users add' printed for them.
    /// </summary>
    private static async Task<string> SignInWithLinkAsync(IPage page, LabProcess lab, string name)
    {
        var token = await lab.AddUserAsync(name, "member");
        var link = await WeblabCli.RunAsync(null, null, "users", "link", name, "--url", lab.Url.ToString(), "--data", lab.DataDirectory);
        link.AssertSucceeded();
        await page.GotoAsync(link.Stdout.Trim());
        await Assertions.Expect(page.Locator("#welcome")).ToBeVisibleAsync(); // the account page asks for a password
        await Assertions.Expect(page.Locator("#user-name")).ToContainTextAsync(name);
        return token;
    }

    /// <summary>The page's background as the browser computed it (MudBlazor's palette variable).</summary>
    private const string Background = "getComputedStyle(document.body).backgroundColor"; // MudBlazor paints the theme's background on body

    /// <summary>The page's background colour once its stylesheets have applied (transparent until then, on a busy machine for a while).</summary>
    private static async Task<string> BackgroundAsync(IPage page)
    {
        await page.WaitForFunctionAsync($"() => {Background} !== 'rgba(0, 0, 0, 0)'");
        return await page.EvaluateAsync<string>($"() => {Background}");
    }

    [Fact]
    public async Task DarkModeAndSignIn_PersistAcrossReloads_AndTheQueueShowsYourJobsAndPlace()
    {
        if (Environment.GetEnvironmentVariable("WEBLAB_SKIP_BROWSER_TESTS") == "1")
            return;
        using var data = new TempDir();
        using var lab = new LabProcess(data.Path);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(60_000);

        // Invited by link, Ada sets a password, signs out, and signs in with it.
        var adaToken = await SignInWithLinkAsync(page, lab, "ada.lovelace");
        await InteractiveAsync(page);
        await page.Locator("#set-password input[name=password]").FillAsync("analytical engine");
        await page.Locator("#set-password button").ClickAsync();
        await page.WaitForURLAsync("**/account?password=saved");
        await page.Locator("#sign-out").ClickAsync();
        await Assertions.Expect(page.Locator("#sign-in")).ToBeVisibleAsync();
        await page.Locator("#sign-in input[name=name]").FillAsync("ada.lovelace");
        await page.Locator("#sign-in input[name=password]").FillAsync("analytical engine");
        await page.Locator("#sign-in button").ClickAsync();
        await page.WaitForURLAsync(new Uri(lab.Url, "/").ToString());

        await page.GotoAsync(new Uri(lab.Url, "/queue").ToString());
        await InteractiveAsync(page);
        var light = await BackgroundAsync(page);
        await page.Locator("#toggle-dark").ClickAsync();
        await page.WaitForFunctionAsync("() => document.cookie.includes('weblab-theme=dark')");
        await page.WaitForFunctionAsync($"light => {Background} !== light", light);
        var dark = await BackgroundAsync(page);
        Assert.NotEqual(light, dark);

        // Reload with Blazor's script blocked: what shows is the server's first HTML alone, and it is dark already (no flash
        // of the light theme) with her name in the bar. Then a normal reload, and a new visit, stay that way.
        await page.RouteAsync("**/_framework/blazor.web.js", route => route.AbortAsync());
        await page.ReloadAsync();
        Assert.Equal(dark, await BackgroundAsync(page));
        Assert.Contains("ada.lovelace", await page.Locator("#user-name").InnerTextAsync(), StringComparison.Ordinal);
        await page.UnrouteAsync("**/_framework/blazor.web.js");
        await page.ReloadAsync();
        await InteractiveAsync(page);
        Assert.Equal(dark, await BackgroundAsync(page));
        var visit = await context.NewPageAsync();
        await visit.GotoAsync(lab.Url.ToString());
        Assert.Equal(dark, await BackgroundAsync(visit));
        await visit.CloseAsync();

        // The queue: one job running (the CPU slot) and three waiting, two of them Ada's. Her rows are marked, only they can be
        // cancelled, and her place in line is spelled out - live, as the queue moves.
        var mine = page.Locator("#queue-table tr.weblab-mine");
        async Task<int> NextOfMineAsync() =>
            (await mine.Locator("td:first-child").AllInnerTextsAsync()).Select(int.Parse).Min();
        var tokens = new Dictionary<string, string> { ["ada.lovelace"] = adaToken };
        async Task<string> Submit(string owner, int epochs = 1, int perClass = 10)
        {
            if (!tokens.TryGetValue(owner, out var token))
                tokens[owner] = token = await lab.AddUserAsync(owner, "member");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new
                {
                    kind = "pretrain",
                    spec = new { dataset = "fashion-mnist", classes = new[] { "0", "1" }, architecture = "resnet8", epochs, perClass },
                }),
            };
            using var client = lab.ClientWith(token);
            var response = await client.SendAsync(request);
            Assert.True(response.IsSuccessStatusCode);
            return System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
        }
        var running = await Submit("bob", epochs: 30, perClass: 500); // keeps the only training slot busy for the rest of the test
        await lab.WaitAsync(running, d => LabProcess.State(d) == "running");
        var first = await Submit("ada.lovelace");
        await Submit("bob");
        var second = await Submit("ada.lovelace");
        await Assertions.Expect(mine).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#queue-table tbody tr")).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator("#queue-table button.cancel")).ToHaveCountAsync(2);
        Assert.Equal(2, await mine.Locator("button.cancel").CountAsync());
        await Assertions.Expect(page.Locator("#your-place")).ToContainTextAsync($"2 waiting, the next at position {await NextOfMineAsync()} in line");
        await ShotAsync(page, "queue-dark-yours");

        await page.Locator($"#queue-table tr[data-job='{first}'] button.cancel").ClickAsync();
        await Assertions.Expect(mine).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#your-place")).ToContainTextAsync($"1 waiting, the next at position {await NextOfMineAsync()} in line");

        // On someone else's job page there is no cancel button; on your own there is.
        await page.GotoAsync(new Uri(lab.Url, $"/jobs/{second}").ToString());
        await InteractiveAsync(page);
        await Assertions.Expect(page.Locator("#cancel")).ToBeVisibleAsync();
        await page.GotoAsync(new Uri(lab.Url, "/queue").ToString());
        var bobs = page.Locator("#queue-table tbody tr:not(.weblab-mine) a").First;
        await bobs.ClickAsync();
        await Assertions.Expect(page.Locator("#not-yours")).ToContainTextAsync("Only bob can cancel");
        Assert.Equal(0, await page.Locator("#cancel").CountAsync());
        await ShotAsync(page, "job-not-yours-dark");
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
        await SignInWithLinkAsync(page, lab, "uploader");
        await page.GotoAsync(new Uri(lab.Url, "/datasets").ToString());
        await Assertions.Expect(page.GetByText("Upload a dataset")).ToBeVisibleAsync();
        await InteractiveAsync(page);
        await page.Locator("input[type=file]").SetInputFilesAsync(zip);

        try
        {
            await page.WaitForFunctionAsync("() => location.pathname.startsWith('/datasets/ds_') || document.querySelector('#upload-error')");
        }
        catch (TimeoutException)
        {
            await ShotAsync(page, "upload-stuck");
            Assert.Fail($"the upload neither finished nor failed; the page is at {page.Url}. The lab's log:\n{lab.Log}");
        }
        if (await page.Locator("#upload-error").CountAsync() > 0)
        {
            await ShotAsync(page, "upload-failed");
            Assert.Fail("upload failed: " + await page.Locator("#upload-error").InnerTextAsync());
        }
        await Assertions.Expect(page.Locator("#dataset-state")).ToHaveTextAsync("ready", new LocatorAssertionsToHaveTextOptions { Timeout = 120_000 });
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
