using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using WebLab.Tests;

namespace WebLab.Web.Tests;

/// <summary>One real lab for the process tests, with a tiny source checkpoint pretrained through its own queue.</summary>
public sealed class LabFixture : IAsyncLifetime
{
    public TempDir Data { get; } = new();

    public LabProcess Lab { get; private set; } = null!;

    public string Source { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Lab = new LabProcess(Data.Path);
        Source = await Lab.PretrainTinySourceAsync();
    }

    public Task DisposeAsync()
    {
        Lab.Dispose();
        Data.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>A small experiment (1 seed, both arms) that runs for several seconds on 2 cores.</summary>
    public object Experiment(int epochs = 30, int perClass = 20) => new
    {
        kind = "experiment",
        spec = new
        {
            target = "fashion-mnist",
            source = Source,
            targetClasses = new[] { "5", "6", "7", "8", "9" },
            perClass,
            seeds = 1,
            probe = false,
            transfer = new { epochs },
        },
    };
}

[CollectionDefinition("lab-process")]
public sealed class LabProcessGroup : ICollectionFixture<LabFixture>;

[Collection("lab-process")]
public sealed class LabProcessTests(LabFixture fixture)
{
    private LabProcess Lab => fixture.Lab;

    [Fact]
    public async Task SourceCheckpoint_IsRegistered_AndDownloadable()
    {
        var checkpoint = await Lab.Http.GetFromJsonAsync<JsonElement>($"/api/checkpoints/{fixture.Source}");
        Assert.Equal("resnet8", checkpoint.GetProperty("info").GetProperty("architecture").GetString());
        var bytes = await Lab.Http.GetByteArrayAsync($"/api/checkpoints/{fixture.Source}/download?format=safetensors");
        Assert.Equal(checkpoint.GetProperty("bytes").GetInt64(), bytes.Length);
        var headerLength = BitConverter.ToInt64(bytes, 0);
        var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength)).RootElement;
        Assert.True(header.TryGetProperty("conv1.weight", out _), "torchvision key names in the safetensors header");

        // The zoo page lists it as a source and offers the import and pretraining forms.
        var page = await Lab.Http.GetStringAsync("/checkpoints");
        Assert.Contains($"/experiments/new?source={fixture.Source}", page, StringComparison.Ordinal);
        Assert.Contains("id=\"import-file\"", page, StringComparison.Ordinal);
        Assert.Contains("id=\"pretrain-submit\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sweep_RunsEveryPoint_AndItsPageShowsTheTableAndTheCurves()
    {
        var job = await Lab.SubmitAsync(LabProcess.TwoPointSweep(fixture.Source));
        var id = job.GetProperty("id").GetString()!;
        var done = await Lab.FinishedAsync(id);
        Assert.Equal("succeeded", LabProcess.State(done));
        var points = done.GetProperty("result").GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(["5", "10"], points.Select(p => p.GetProperty("settings").GetProperty("perClass").GetString()));
        var events = await Lab.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}/events");
        Assert.Equal(2, events.EnumerateArray().Count(e => e.GetProperty("type").GetString() == "point-finished"));

        // The page is rendered on the server first: the table and both charts are in the HTML.
        var html = await Lab.Http.GetStringAsync($"/jobs/{id}");
        Assert.Contains("sweep-table", html, StringComparison.Ordinal);
        Assert.Contains("NTG vs perClass", html, StringComparison.Ordinal);
        Assert.Contains("training images per class", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Analyse_RunsInAUtilityWorker_AndItsPageShowsTheRecommendation()
    {
        var job = await Lab.SubmitAsync(new
        {
            kind = "analyse",
            spec = new { target = "fashion-mnist", source = fixture.Source, targetClasses = new[] { "5", "7", "9" }, perClass = 10, fineTuneSteps = 10 },
        });
        var id = job.GetProperty("id").GetString()!;
        Assert.Equal("analyse", job.GetProperty("kind").GetString());
        var done = await Lab.FinishedAsync(id);
        Assert.Equal("succeeded", LabProcess.State(done));
        var result = done.GetProperty("result");
        var measures = result.GetProperty("analysis").GetProperty("measures").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Contains("leep", measures);
        Assert.Contains("logme", measures);
        var preset = result.GetProperty("recommendation").GetProperty("preset").GetString();
        Assert.Contains(preset, new[] { "small-similar", "small-dissimilar", "linear-probe" }); // 30 images: the small side of the plane

        var html = await Lab.Http.GetStringAsync($"/jobs/{id}");
        Assert.Contains("recommended-preset", html, StringComparison.Ordinal);
        Assert.Contains("weblab-plane", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoDialSweep_ShowsItsPointsWhileItRuns_ThenHeatmapsOfTheGrid()
    {
        var job = await Lab.SubmitAsync(new
        {
            kind = "sweep",
            spec = new
            {
                @base = new { target = "fashion-mnist", source = fixture.Source, targetClasses = new[] { "5", "9" }, seeds = 1, probe = false },
                axes = new[] { new { setting = "perClass", values = new[] { "5", "10" } }, new { setting = "epochs", values = new[] { "1", "3" } } },
            },
        });
        var id = job.GetProperty("id").GetString()!;
        // After the first point, the page (rebuilt from the database on every load) already shows it, the rest pending.
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (await PointsFinished(id) == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(200);
        var live = await Lab.Http.GetStringAsync($"/jobs/{id}");
        if (LabProcess.State(await Lab.JobAsync(id)) == "running")
        {
            Assert.Matches("[123] of 4 points done; each point appears here as it finishes", live);
            Assert.Contains("sweep-heat-ntg", live, StringComparison.Ordinal);
            Assert.Contains("still to run", live, StringComparison.Ordinal);
        }
        Assert.Equal("succeeded", LabProcess.State(await Lab.FinishedAsync(id)));
        var html = await Lab.Http.GetStringAsync($"/jobs/{id}");
        Assert.Contains("sweep-heat-ntg", html, StringComparison.Ordinal);
        Assert.Contains("sweep-heat-accuracy", html, StringComparison.Ordinal);
        Assert.Contains("NTG, points (blue: transfer helped, red: negative transfer)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("still to run", html, StringComparison.Ordinal);
        Assert.Equal(8, System.Text.RegularExpressions.Regex.Count(html, "style=\"background: #[0-9a-f]{6}; color: #[0-9a-f]{6}\" data-point=\"perClass=(5|10), epochs=(1|3)\""));
    }

    private async Task<int> PointsFinished(string id) =>
        (await Lab.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}/events")).EnumerateArray().Count(e => e.GetProperty("type").GetString() == "point-finished");

    [Fact]
    public async Task Experiment_RendersItsMisclassifiedTestImages_ForEveryConfusionCell()
    {
        var job = await Lab.SubmitAsync(new
        {
            kind = "experiment",
            spec = new { target = "fashion-mnist", source = fixture.Source, targetClasses = new[] { "5", "7", "9" }, perClass = 5, seeds = 1, probe = false,
                transfer = new { epochs = 2 } },
        });
        // One seed runs, but the answer to the submission says the gap will have no interval.
        Assert.Contains("1 seed", Assert.Single(job.GetProperty("warnings").EnumerateArray()).GetString(), StringComparison.Ordinal);
        var id = job.GetProperty("id").GetString()!;
        var done = await Lab.FinishedAsync(id);
        Assert.Equal("succeeded", LabProcess.State(done));
        // The worker read the source from the data folder, but no answer says where the lab keeps its files.
        var folder = Path.GetFullPath(Lab.DataDirectory);
        Assert.DoesNotContain(folder, done.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain(folder, await Lab.Http.GetStringAsync($"/api/jobs/{id}/events"), StringComparison.Ordinal);
        Assert.StartsWith("checkpoints/", done.GetProperty("result").GetProperty("source").GetProperty("path").GetString(), StringComparison.Ordinal);
        var run = done.GetProperty("result").GetProperty("arms")[0].GetProperty("runs")[0];
        var confusion = run.GetProperty("confusion");
        var (truth, predicted) = Enumerable.Range(0, 3).SelectMany(r => Enumerable.Range(0, 3).Select(c => (r, c)))
            .First(rc => rc.r != rc.c && confusion[rc.r][rc.c].GetInt32() > 0); // 5 images per class, 2 epochs: mistakes are certain
        var cell = await Lab.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}/confusion/transfer/{run.GetProperty("seed").GetInt32()}/{truth}/{predicted}");
        var items = cell.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(Math.Min(100, confusion[truth][predicted].GetInt32()), items.Count);
        Assert.All(items, i => Assert.StartsWith("test#", i.GetProperty("itemId").GetString(), StringComparison.Ordinal));
        foreach (var item in items.Take(3))
        {
            var png = await Lab.Http.GetByteArrayAsync(item.GetProperty("image").GetString());
            using var bitmap = SkiaSharp.SKBitmap.Decode(png);
            Assert.Equal((28, 28), (bitmap.Width, bitmap.Height)); // Fashion-MNIST at its own size, not the model's input size
        }

        // Clone and edit: the job page links to a New experiment form prefilled with its settings.
        Assert.Contains($"/experiments/new?clone={id}", await Lab.Http.GetStringAsync($"/jobs/{id}"), StringComparison.Ordinal);
        var clone = await Lab.Http.GetStringAsync($"/experiments/new?clone={id}");
        Assert.Contains("id=\"cloned-from\"", clone, StringComparison.Ordinal);
        Assert.Contains("value=\"5,7,9\"", clone, StringComparison.Ordinal);
        Assert.Contains("id=\"clone-error\"", await Lab.Http.GetStringAsync("/experiments/new?clone=job_nosuchjob0000"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compare_ShowsOnlyTheSettingsThatDiffer()
    {
        var ids = new List<string>();
        foreach (var batch in new[] { 16, 32 })
        {
            var job = await Lab.SubmitAsync(new
            {
                kind = "experiment",
                spec = new { target = "fashion-mnist", source = fixture.Source, targetClasses = new[] { "5", "9" }, perClass = 5, seeds = 1, probe = false,
                    transfer = new { epochs = 2, batchSize = batch } },
            });
            ids.Add(job.GetProperty("id").GetString()!);
        }
        foreach (var id in ids)
            Assert.Equal("succeeded", LabProcess.State(await Lab.FinishedAsync(id)));
        var html = await Lab.Http.GetStringAsync($"/compare?ids={string.Join(",", ids)}");
        Assert.Contains("compare-table", html, StringComparison.Ordinal);
        Assert.Contains("transfer.batchSize", html, StringComparison.Ordinal);
        Assert.DoesNotContain("transfer.optimizer", html, StringComparison.Ordinal); // the same in both: not listed
    }

    [Fact]
    public async Task TryIt_PredictsTopFive_InAWorker_AndRefusesACorruptImage()
    {
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(TestFiles.Image(28, 28, 3, gray: true)), "image", "shirt.png");
        var response = await Lab.Http.PostAsync($"/api/checkpoints/{fixture.Source}/predict", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var prediction = await response.Content.ReadFromJsonAsync<JsonElement>();
        var top = prediction.GetProperty("top").EnumerateArray().ToList();
        Assert.Equal(5, top.Count);
        var probabilities = top.Select(t => t.GetProperty("probability").GetDouble()).ToList();
        Assert.Equal(probabilities.OrderDescending(), probabilities);
        Assert.InRange(probabilities.Sum(), 0.999, 1.001); // five classes: the whole distribution
        Assert.Contains(top, t => t.GetProperty("name").GetString() == "T-shirt/top");

        using var bad = new MultipartFormDataContent();
        bad.Add(new ByteArrayContent([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), "image", "broken.png");
        var refused = await Lab.Http.PostAsync($"/api/checkpoints/{fixture.Source}/predict", bad);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("broken.png", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        Assert.Empty(Directory.GetFiles(Path.Combine(fixture.Data.Path, "uploads")));
    }

    [Fact]
    public async Task SafetensorsImport_RoundTripsThroughAnImportJob()
    {
        var bytes = await Lab.Http.GetByteArrayAsync($"/api/checkpoints/{fixture.Source}/download?format=safetensors");
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(bytes), "file", "exported.safetensors");
        form.Add(new StringContent("resnet8"), "architecture");
        form.Add(new StringContent("28"), "inputSize");
        form.Add(new StringContent("a,b,c,d,e"), "classNames");
        form.Add(new StringContent("0.3"), "mean");
        form.Add(new StringContent("0.35"), "std");
        form.Add(new StringContent("re-imported"), "name");
        var response = await Lab.Http.PostAsync("/api/checkpoints/import", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var done = await Lab.FinishedAsync(id);
        Assert.Equal("succeeded", LabProcess.State(done));
        var imported = await Lab.Http.GetFromJsonAsync<JsonElement>($"/api/checkpoints/ckpt_{id["job_".Length..]}");
        Assert.Equal("re-imported", imported.GetProperty("name").GetString());
        Assert.Equal(["a", "b", "c", "d", "e"], imported.GetProperty("info").GetProperty("classNames").EnumerateArray().Select(c => c.GetString()));

        // Wrong architecture for the weights: the import job fails at once, with the reason.
        using var wrong = new MultipartFormDataContent();
        wrong.Add(new ByteArrayContent(bytes), "file", "exported.safetensors");
        wrong.Add(new StringContent("resnet18"), "architecture");
        wrong.Add(new StringContent("28"), "inputSize");
        var bad = await Lab.Http.PostAsync("/api/checkpoints/import", wrong);
        var badId = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var failed = await Lab.FinishedAsync(badId);
        Assert.Equal("failed", LabProcess.State(failed));
        Assert.Equal(1, failed.GetProperty("job").GetProperty("attempt").GetInt32());
        Assert.False(string.IsNullOrEmpty(failed.GetProperty("job").GetProperty("error").GetString()));
    }

    [Fact]
    public async Task Hub_ServesOnlyWhatTheCallerMayRead_AndDropsARevokedTokensConnection()
    {
        // Nobody signed in: the hub refuses to connect.
        await using (var anonymous = new HubConnectionBuilder().WithUrl(new Uri(Lab.Url, "/hubs/jobs")).Build())
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => anonymous.StartAsync());

        var ownerToken = await Lab.AddUserAsync("hub-owner", "member");
        using var owner = Lab.ClientWith(ownerToken);
        var submitted = await owner.PostAsJsonAsync("/api/jobs", new
        {
            kind = "pretrain", visibility = "private",
            spec = new { dataset = "fashion-mnist", classes = new[] { "0", "1" }, architecture = "resnet8", epochs = 1, perClass = 5 },
        });
        var id = (await submitted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

        // Someone else cannot follow a private job (it does not exist for them); its owner can.
        var otherToken = await Lab.AddUserAsync("hub-other", "member");
        await using var other = Lab.Hub(otherToken);
        var closed = new TaskCompletionSource<Exception?>();
        other.Closed += e => { closed.TrySetResult(e); return Task.CompletedTask; };
        await other.StartAsync();
        var refused = await Assert.ThrowsAsync<HubException>(() => other.InvokeAsync<long>("SubscribeJob", id));
        Assert.Contains("No job", refused.Message, StringComparison.Ordinal);
        await using (var mine = Lab.Hub(ownerToken))
        {
            await mine.StartAsync();
            Assert.True(await mine.InvokeAsync<long>("SubscribeJob", id) >= 0);
        }

        // Revoked with the admin CLI while connected: the lab closes the connection within seconds.
        var tokens = await WeblabCli.RunAsync(null, null, "tokens", "revoke", "--user", "hub-other", "--data", Lab.DataDirectory);
        tokens.AssertSucceeded();
        Assert.Same(closed.Task, await Task.WhenAny(closed.Task, Task.Delay(TimeSpan.FromSeconds(30))));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Lab.ClientWith(otherToken).GetAsync("/api/jobs")).StatusCode);
        await owner.PostAsync($"/api/jobs/{id}/cancel", null); // frees the shared lab's slot for the other tests
    }

    [Fact]
    public async Task Hub_FollowsAJob_FromSubmitToResult_WithoutGapsOrDuplicates()
    {
        await using var hub = Lab.Hub();
        var live = new List<(long Seq, string Type)>();
        var states = new List<string>();
        var done = new TaskCompletionSource();
        hub.On<JsonElement>("event", e =>
        {
            lock (live)
                live.Add((e.GetProperty("seq").GetInt64(), e.GetProperty("type").GetString()!));
        });
        hub.On<JsonElement>("state", s =>
        {
            var state = s.GetProperty("state").GetString()!;
            lock (states)
                states.Add(state);
            if (state is "succeeded" or "failed" or "cancelled")
                done.TrySetResult();
        });
        await hub.StartAsync();
        await hub.InvokeAsync("SubscribeQueue");

        var job = await Lab.SubmitAsync(fixture.Experiment(epochs: 8, perClass: 10));
        var id = job.GetProperty("id").GetString()!;
        await Task.Delay(1500); // join late, on purpose: some events are already persisted
        var lastAtSubscribe = await hub.InvokeAsync<long>("SubscribeJob", id);
        var history = await Lab.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}/events?after=0");
        await done.Task.WaitAsync(TimeSpan.FromMinutes(3));
        await Task.Delay(300);

        var seen = history.EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.True(seen.Count >= lastAtSubscribe);
        var maxLoaded = seen.Count == 0 ? 0 : seen.Max();
        lock (live)
            seen.AddRange(live.Where(e => e.Seq > maxLoaded).Select(e => e.Seq));
        var detail = await Lab.JobAsync(id);
        var last = detail.GetProperty("job").GetProperty("lastSeq").GetInt64();
        Assert.Equal(Enumerable.Range(1, (int)last).Select(i => (long)i), seen); // every event once, in order
        Assert.Contains("running", states);
        Assert.Equal("succeeded", LabProcess.State(detail));
        var ntg = detail.GetProperty("result").GetProperty("ntg");
        Assert.InRange(ntg.GetProperty("mean").GetDouble(), -1, 1);
        Assert.NotEmpty(detail.GetProperty("curves").EnumerateArray());
        Assert.Contains(detail.GetProperty("curves").EnumerateArray(), c => c.GetProperty("arm").GetString() == "scratch");
        // The fine-tuned model is in the zoo, with its source as parent (multi-step transfer).
        var checkpoint = await Lab.Http.GetFromJsonAsync<JsonElement>($"/api/checkpoints/ckpt_{id["job_".Length..]}");
        Assert.Equal(fixture.Source, checkpoint.GetProperty("parentId").GetString());
    }

    [Fact]
    public async Task EveryWorkerEvent_ReachesTheHubTheApiAndThePage_Unchanged()
    {
        var job = await Lab.SubmitAsync(new
        {
            kind = "experiment",
            spec = new
            {
                target = "fashion-mnist", source = fixture.Source, targetClasses = new[] { "5", "6", "7" }, perClass = 10, seeds = 1,
                preset = "small-similar", overrides = new Dictionary<string, string> { ["epochs"] = "3" },
            },
        });
        var id = job.GetProperty("id").GetString()!;
        await using var hub = Lab.Hub();
        var live = new List<JsonElement>();
        hub.On<JsonElement>("event", e =>
        {
            lock (live)
                live.Add(e.Clone());
        });
        await hub.StartAsync();
        var subscribedAt = await hub.InvokeAsync<long>("SubscribeJob", id);
        var detail = await Lab.WaitAsync(id, d => LabProcess.State(d) == "succeeded", 360);
        await Task.Delay(300);
        var stored = (await Lab.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}/events?after=0")).EnumerateArray().ToList();

        // Every kind of experiment event travels, the preset choice included (the result is the job's own).
        Assert.Equal(["started", "preset", "probe", "progress", "run"],
            stored.Select(e => e.GetProperty("type").GetString()).Where(t => t != "log").Distinct().Order(Comparer<string?>.Create(ByContract)));
        // The hub relays what was stored, byte for byte.
        lock (live)
        {
            Assert.NotEmpty(live);
            foreach (var e in live)
            {
                var twin = stored.Single(x => x.GetProperty("seq").GetInt64() == e.GetProperty("seq").GetInt64());
                Assert.Equal(twin.GetProperty("type").GetString(), e.GetProperty("type").GetString());
                Assert.Equal(twin.GetProperty("payload").GetRawText(), e.GetProperty("payload").GetRawText());
            }
            Assert.Subset(live.Select(e => e.GetProperty("seq").GetInt64()).ToHashSet(),
                stored.Where(x => x.GetProperty("seq").GetInt64() > subscribedAt).Select(x => x.GetProperty("seq").GetInt64()).ToHashSet());
            // A live curve point is the very record the API returns with the job.
            var curves = detail.GetProperty("curves").EnumerateArray().Select(c => c.GetRawText()).ToHashSet();
            var liveCurves = live.Where(e => e.TryGetProperty("curve", out var c) && c.ValueKind == JsonValueKind.Object).ToList();
            Assert.NotEmpty(liveCurves);
            Assert.All(liveCurves, e => Assert.Contains(e.GetProperty("curve").GetRawText(), curves));
        }
        // The page's log shows the preset that was chosen.
        var page = await Lab.Http.GetStringAsync($"/jobs/{id}");
        Assert.Contains("preset small-similar@", page, StringComparison.Ordinal);
    }

    private static int ByContract(string? a, string? b)
    {
        string[] order = ["started", "preset", "probe", "progress", "run", "finished"];
        return Array.IndexOf(order, a).CompareTo(Array.IndexOf(order, b));
    }

    private async Task<string> RunningWithProgressAsync()
    {
        var job = await Lab.SubmitAsync(fixture.Experiment());
        var id = job.GetProperty("id").GetString()!;
        await Lab.WaitAsync(id, d => LabProcess.State(d) == "running" && d.GetProperty("job").GetProperty("lastSeq").GetInt64() >= 3, 120);
        return id;
    }

    [Fact]
    public async Task KilledWorker_JobIsRetried_AndCompletes()
    {
        var id = await RunningWithProgressAsync();
        var pids = LabProcess.WorkerPids(id);
        Assert.Single(pids);
        LabProcess.Signal(pids[0], "KILL");
        var done = await Lab.FinishedAsync(id);
        Assert.Equal("succeeded", LabProcess.State(done));
        Assert.Equal(2, done.GetProperty("job").GetProperty("attempt").GetInt32());
        var reasons = done.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("reason").GetString()!).ToList();
        Assert.Contains(reasons, r => r.Contains("attempt 1 failed, retrying: the worker was killed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SigtermedWorker_IsRequeued_WithoutSpendingAnAttempt()
    {
        var id = await RunningWithProgressAsync();
        var pid = Assert.Single(LabProcess.WorkerPids(id));
        LabProcess.Signal(pid, "TERM");
        var done = await Lab.FinishedAsync(id);
        Assert.Equal("succeeded", LabProcess.State(done));
        Assert.Equal(1, done.GetProperty("job").GetProperty("attempt").GetInt32());
        var reasons = done.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("reason").GetString()!).ToList();
        Assert.Contains("interrupted: the worker received SIGTERM", reasons);
    }

    [Fact]
    public async Task Cancel_StopsTheWorker_AndNothingIsRegistered()
    {
        var id = await RunningWithProgressAsync();
        var pid = Assert.Single(LabProcess.WorkerPids(id));
        var response = await Lab.Http.PostAsync($"/api/jobs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (LabProcess.WorkerPids(id).Contains(pid) && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.DoesNotContain(pid, LabProcess.WorkerPids(id));
        var detail = await Lab.JobAsync(id);
        Assert.Equal("cancelled", LabProcess.State(detail));
        Assert.Equal(HttpStatusCode.NotFound, (await Lab.Http.GetAsync($"/api/checkpoints/ckpt_{id["job_".Length..]}")).StatusCode);
    }

    [Fact]
    public async Task Ingest_DescribesAZipOfClassFolders_AndRejectsAForgedOne()
    {
        using var dir = new TempDir();
        var entries = new List<(string, byte[])>();
        foreach (var (cls, seed) in new[] { ("circle", 0), ("square", 100) })
        {
            for (int i = 0; i < 12; i++)
                entries.Add(($"shapes/{cls}/{i}.png", TestFiles.Image(24, 16, seed + i)));
        }
        entries.Add(("shapes/square/copy.png", TestFiles.Image(24, 16, 100))); // an exact duplicate
        entries.Add(("shapes/square/broken.png", [1, 2, 3, 4])); // unreadable
        var zip = TestFiles.Zip(dir.File("shapes.zip"), entries);

        var dataset = await UploadAsync(zip);
        var id = dataset.GetProperty("dataset").GetProperty("id").GetString()!;
        var ready = await WaitDatasetAsync(id);
        Assert.Equal("ready", ready.GetProperty("state").GetString());
        var manifest = ready.GetProperty("manifest");
        Assert.Equal(["circle", "square"], manifest.GetProperty("classes").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal(24, manifest.GetProperty("trainCount").GetInt32() + manifest.GetProperty("valCount").GetInt32() + manifest.GetProperty("testCount").GetInt32() - 1);
        Assert.Equal(24, manifest.GetProperty("originalSizes").GetProperty("maxWidth").GetInt32());
        Assert.Single(manifest.GetProperty("duplicates").EnumerateArray());
        Assert.Contains(manifest.GetProperty("problems").EnumerateArray(), p => p.GetProperty("path").GetString()!.EndsWith("broken.png", StringComparison.Ordinal));
        Assert.Contains(manifest.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("only 12 training images", StringComparison.Ordinal)
                                                                              || w.GetString()!.Contains("training images", StringComparison.Ordinal));
        var thumb = ready.GetProperty("thumbnails").GetProperty("circle")[0].GetString()!;
        var png = await Lab.Http.GetByteArrayAsync(thumb);
        Assert.Equal(0x89, png[0]);

        // Forged sizes pass the cheap checks at upload time; the worker's bounded reads catch them and ingest fails at once.
        var forged = TestFiles.Zip(dir.File("forged.zip"), entries.Where((_, i) => i % 3 == 0));
        var bytes = await File.ReadAllBytesAsync(forged);
        BitConverter.GetBytes(10).CopyTo(bytes, 22);
        BitConverter.GetBytes(10).CopyTo(bytes, IndexOf(bytes, [0x50, 0x4b, 0x01, 0x02]) + 24);
        await File.WriteAllBytesAsync(forged, bytes);
        var bad = await UploadAsync(forged);
        var badId = bad.GetProperty("dataset").GetProperty("id").GetString()!;
        var failed = await WaitDatasetAsync(badId);
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        Assert.Contains("CRC-32", failed.GetProperty("error").GetString());
        var ingest = await Lab.JobAsync(bad.GetProperty("job").GetProperty("id").GetString()!);
        Assert.Equal(1, ingest.GetProperty("job").GetProperty("attempt").GetInt32()); // bad input: not retried
    }

    private async Task<JsonElement> UploadAsync(string zip)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(await File.ReadAllBytesAsync(zip)), "file", Path.GetFileName(zip));
        var response = await Lab.Http.PostAsync("/api/datasets", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<JsonElement> WaitDatasetAsync(string id)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            var dataset = await Lab.Http.GetFromJsonAsync<JsonElement>($"/api/datasets/{id}");
            if (dataset.GetProperty("state").GetString() != "ingesting" || DateTime.UtcNow > deadline)
                return dataset;
            await Task.Delay(200);
        }
    }

    private static int IndexOf(byte[] bytes, byte[] signature)
    {
        for (int i = 0; i + signature.Length <= bytes.Length; i++)
        {
            if (bytes.AsSpan(i, signature.Length).SequenceEqual(signature))
                return i;
        }
        return -1;
    }
}

/// <summary>The host itself dies (SIGKILL) mid-job and comes back: nothing acknowledged is lost.</summary>
public sealed class HostCrashTests
{
    [Fact]
    public async Task KilledHost_Restarted_LosesNothing_AndTheDatabaseIsSound()
    {
        using var data = new TempDir();
        var lab = new LabProcess(data.Path);
        try
        {
            var pretrain = new
            {
                kind = "pretrain",
                spec = new { dataset = "fashion-mnist", classes = new[] { "0", "1", "2" }, architecture = "resnet8", epochs = 4, perClass = 300 },
            };
            var ids = new List<string>();
            for (int i = 0; i < 3; i++)
                ids.Add((await lab.SubmitAsync(pretrain)).GetProperty("id").GetString()!);
            await lab.WaitAsync(ids[0], d => LabProcess.State(d) == "running" && d.GetProperty("job").GetProperty("lastSeq").GetInt64() >= 3, 120);
            var worker = Assert.Single(LabProcess.WorkerPids(ids[0]));

            lab.Kill();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (LabProcess.WorkerPids(ids[0]).Contains(worker) && DateTime.UtcNow < deadline)
                await Task.Delay(100);
            Assert.DoesNotContain(worker, LabProcess.WorkerPids(ids[0])); // the orphaned worker noticed and stopped

            lab.Start();
            foreach (var id in ids)
                Assert.Equal("succeeded", LabProcess.State(await lab.FinishedAsync(id, 240)));
            var first = await lab.JobAsync(ids[0]);
            Assert.Contains(first.GetProperty("history").EnumerateArray(),
                h => h.GetProperty("reason").GetString()!.Contains("is gone (the lab restarted); requeued", StringComparison.Ordinal));
            var checkpoints = await lab.Http.GetFromJsonAsync<JsonElement>("/api/checkpoints");
            Assert.Equal(3, checkpoints.GetArrayLength());
        }
        finally
        {
            lab.Dispose();
        }
        var db = new WebLab.Lab.Storage.Database(Path.Combine(data.Path, "lab.db"));
        Assert.Equal("ok", await db.IntegrityCheckAsync());
    }
}
