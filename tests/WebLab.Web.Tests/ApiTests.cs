using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WebLab.Lab.Access;
using WebLab.Tests;

namespace WebLab.Web.Tests;

/// <summary>The lab host in-process with its workers switched off: the API's contract, validation and upload defences.</summary>
// Any public type of the host assembly names it for WebApplicationFactory.
public class LabApiFactory : WebApplicationFactory<WebLab.Web.Api.JobSummary>
{
    public TempDir Data { get; } = new();

    /// <summary>What the host logged (category, level, message).</summary>
    public LogCapture Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        builder.UseSetting("WebLab:DataDirectory", Data.Path);
        builder.UseSetting("WebLab:RunWorkers", "false");
        builder.UseSetting("WebLab:CreateDemoSource", "false");
        builder.UseSetting("WebLab:InstallZooSource", "false");
        builder.UseSetting("WebLab:MaxUploadBytes", (256 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var limit in new[] { "WritesPerAddress", "SignInsPerAddress", "SubmissionsPerAddress", "UploadsPerAddress", "SubmissionsPerPerson", "UploadsPerPerson" })
            builder.UseSetting($"WebLab:RateLimits:{limit}", "100000"); // the limits have their own tests
        foreach (var (key, value) in Settings)
            builder.UseSetting(key, value);
    }

    /// <summary>More settings for a subclass's host.</summary>
    protected virtual IEnumerable<(string Key, string Value)> Settings => [];

    private readonly ConcurrentDictionary<string, string> _tokens = new(StringComparer.Ordinal);

    /// <summary>A client with an API token of <paramref name="name"/> (made, with <paramref name="role"/>, on first use).</summary>
    public HttpClient ClientFor(string name, Role role = Role.Member)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenFor(name, role));
        return client;
    }

    public string TokenFor(string name, Role role = Role.Member) => _tokens.GetOrAdd(name, n =>
    {
        var users = Services.GetRequiredService<UserStore>();
        var user = users.FindAsync(n).GetAwaiter().GetResult() ?? users.AddAsync(n, role).GetAwaiter().GetResult();
        return users.CreateTokenAsync(user, TokenPurpose.Api, "test").GetAwaiter().GetResult().Secret;
    });

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
            Data.Dispose();
    }
}

public sealed class ApiTests(LabApiFactory factory) : IClassFixture<LabApiFactory>
{
    private static readonly byte[] s_png = TestFiles.Image(8, 8, 1);

    private HttpClient Client(string user = "alice") => factory.ClientFor(user);

    private static object Experiment(object? overrides = null) => new
    {
        kind = "experiment",
        spec = overrides ?? new { target = "fashion-mnist", source = "ckpt_0000000000000000x", targetClasses = new[] { "5", "6" }, perClass = 10, seeds = 1 },
    };

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Theory]
    [InlineData("/favicon.ico", "image/x-icon")] // browsers ask for it on every page load
    [InlineData("/favicon.svg", "image/svg+xml")]
    public async Task Favicon_IsServed(string path, string mediaType)
    {
        var response = await factory.CreateClient().GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(path.TrimStart('/'), await factory.CreateClient().GetStringAsync("/"));
    }

    [Fact]
    public async Task InvalidExperimentSpec_Is400_WithFieldErrors()
    {
        var response = await Client().PostAsJsonAsync("/api/jobs", Experiment(new { target = "no-such-data", source = "nope", seeds = 0 }));
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        Assert.Contains("neither a dataset of this lab", errors.GetProperty("spec.target")[0].GetString());
        Assert.Contains("not a checkpoint id", errors.GetProperty("spec.source")[0].GetString());
        Assert.Contains("1..20", errors.GetProperty("spec.seeds")[0].GetString());
    }

    [Fact]
    public async Task WorkerPosts_NeedTheAttemptTokenOfALiveLaunch()
    {
        var client = factory.CreateClient();
        var bare = await client.PostAsync(WebLab.Lab.Workers.LabUplink.Path, new StringContent("{}"));
        Assert.Equal(HttpStatusCode.Unauthorized, bare.StatusCode);
        using var forged = new HttpRequestMessage(HttpMethod.Post, WebLab.Lab.Workers.LabUplink.Path + "?task=0") { Content = new StringContent("{}") };
        forged.Headers.TryAddWithoutValidation("Authorization", WebLab.Lab.Workers.LabUplink.Scheme + " CfDJ8forged");
        var refused = await client.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("not valid here", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // A person's API token is not an attempt token.
        var person = await Client().PostAsync(WebLab.Lab.Workers.LabUplink.Path, new StringContent("{}"));
        Assert.Equal(HttpStatusCode.Unauthorized, person.StatusCode);
    }

    [Fact]
    public async Task ADeviceOtherThanAutoOrCpu_Is400_AndDeviceIsNotASweepSetting()
    {
        // Which GPU runs a job is the lab's scheduling: a spec naming one could land on another worker's GPU.
        var experiment = await Client().PostAsJsonAsync("/api/jobs", Experiment(new { target = "fashion-mnist", source = "demo", device = "cuda:1" }));
        var errors = (await ProblemAsync(experiment, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Contains("use auto (a GPU when one is given to the job, else the CPU) or cpu", errors.GetProperty("spec.device")[0].GetString());

        var sweep = await Client().PostAsJsonAsync("/api/jobs", new
        {
            kind = "sweep",
            spec = new
            {
                @base = new { target = "fashion-mnist", source = "demo", device = "cuda" },
                axes = new[] { new { setting = "device", values = new[] { "cpu", "cuda:1" } } },
            },
        });
        var sweepErrors = (await ProblemAsync(sweep, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Contains("or cpu", sweepErrors.GetProperty("spec.base.device")[0].GetString());
        Assert.Contains(sweepErrors.EnumerateObject(), e => e.Name.StartsWith("spec.axes", StringComparison.Ordinal) && e.Value[0].GetString()!.Contains("device", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DialAndSweepErrors_CarryTheirFieldPaths()
    {
        var dial = await Client().PostAsJsonAsync("/api/jobs",
            Experiment(new { target = "fashion-mnist", source = "demo", perClass = 3, transfer = new { epochs = 0, momentum = 1.5 } }));
        var errors = (await ProblemAsync(dial, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Contains("1..10000", errors.GetProperty("spec.transfer.epochs")[0].GetString());
        Assert.Contains("[0, 1)", errors.GetProperty("spec.transfer.momentum")[0].GetString());
        Assert.Contains("at least 5", errors.GetProperty("spec.perClass")[0].GetString());

        var sweep = await Client().PostAsJsonAsync("/api/jobs", new
        {
            kind = "sweep",
            spec = new { @base = new { target = "fashion-mnist", source = "nope", seeds = 30 }, axes = Array.Empty<object>() },
        });
        var sweepErrors = (await ProblemAsync(sweep, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Contains("not a checkpoint id", sweepErrors.GetProperty("spec.base.source")[0].GetString());
        Assert.Contains("1..20", sweepErrors.GetProperty("spec.base.seeds")[0].GetString());
        var axesHelp = sweepErrors.GetProperty("spec.axes")[0].GetString()!;
        Assert.Contains("at least one axis", axesHelp);
        // The help names a real dial: the example it gives is accepted as a sweep setting.
        var example = System.Text.RegularExpressions.Regex.Match(axesHelp, "\"setting\": \"(\\w+)\"").Groups[1].Value;
        Assert.Equal(0.5, WebLab.Transfer.DialNames.With(new WebLab.Training.ExperimentSpec("t", "s"), example, "0.5").Dials.HeadLearningRate);

        var pretrain = await Client().PostAsJsonAsync("/api/jobs",
            new { kind = "pretrain", spec = new { dataset = "fashion-mnist", architecture = "resnet9000", output = "", epochs = 0 } });
        var pretrainErrors = (await ProblemAsync(pretrain, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Contains("unknown architecture", pretrainErrors.GetProperty("spec.architecture")[0].GetString());
        Assert.Contains("1..1000", pretrainErrors.GetProperty("spec.epochs")[0].GetString());
    }

    [Fact]
    public async Task AnalyseAndPresetSpecs_AreValidated_WithFieldErrors()
    {
        var analyse = await Client().PostAsJsonAsync("/api/jobs",
            new { kind = "analyse", spec = new { target = "no-such-data", source = "nope", perClass = 2, fineTuneSteps = -1 } });
        var errors = (await ProblemAsync(analyse, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Contains("neither a dataset of this lab", errors.GetProperty("spec.target")[0].GetString());
        Assert.Contains("not a checkpoint id", errors.GetProperty("spec.source")[0].GetString());
        Assert.Contains("5 or more", errors.GetProperty("spec.perClass")[0].GetString());
        Assert.Contains("0..10000", errors.GetProperty("spec.fineTuneSteps")[0].GetString());

        var preset = await Client().PostAsJsonAsync("/api/jobs",
            Experiment(new { target = "fashion-mnist", source = "demo", preset = "fastest-please", seeds = 1 }));
        var presetErrors = (await ProblemAsync(preset, HttpStatusCode.BadRequest)).GetProperty("errors");
        Assert.Contains("unknown 'fastest-please'. Known: auto, small-similar", presetErrors.GetProperty("spec.preset")[0].GetString());
    }

    [Fact]
    public async Task Presets_ListTheLibraryWithDialsRegionsAndCitations()
    {
        var presets = (await Client().GetFromJsonAsync<JsonElement>("/api/presets")).EnumerateArray().ToList();
        var ids = presets.Select(p => p.GetProperty("id").GetString()).ToList();
        Assert.Superset(new HashSet<string?> { "small-similar", "small-dissimilar", "large-similar", "large-dissimilar", "linear-probe", "bit-hyperrule",
            "common-practice", "head-then-all" }, ids.ToHashSet());
        var probe = presets.Single(p => p.GetProperty("id").GetString() == "linear-probe");
        Assert.True(probe.GetProperty("dialsFor100Images").GetProperty("linearProbe").GetBoolean());
        var bit = presets.Single(p => p.GetProperty("id").GetString() == "bit-hyperrule");
        Assert.Equal(500, bit.GetProperty("dialsFor100Images").GetProperty("steps").GetInt32()); // BiT's smallest size band
        Assert.All(presets, p => Assert.NotEmpty(p.GetProperty("cites").EnumerateArray()));
        Assert.StartsWith(ids[0] + "@", presets[0].GetProperty("tag").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownOrInternalKinds_AreRefused()
    {
        foreach (var kind in new[] { "mine-bitcoin", "ingest" })
        {
            var response = await Client().PostAsJsonAsync("/api/jobs", new { kind, spec = new { } });
            var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.Contains("cannot be submitted here", problem.GetProperty("errors").GetProperty("kind")[0].GetString());
        }
    }

    [Fact]
    public async Task MalformedJson_Is400ProblemDetails()
    {
        var response = await Client().PostAsync("/api/jobs", new StringContent("{ \"kind\": ", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Pretrain_Submits_IsIdempotent_ListsWithPosition_CancelsAndDeletes()
    {
        var client = Client();
        var body = new { kind = "pretrain", idempotencyKey = "click-1", spec = new { dataset = "fashion-mnist", classes = new[] { "0", "1" }, architecture = "resnet8", epochs = 1 } };
        var first = await client.PostAsJsonAsync("/api/jobs", body);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var job = await first.Content.ReadFromJsonAsync<JsonElement>();
        var id = job.GetProperty("id").GetString()!;
        Assert.Equal("queued", job.GetProperty("state").GetString());
        Assert.Equal("alice", job.GetProperty("owner").GetString());
        Assert.Equal(0, job.GetProperty("warnings").GetArrayLength()); // pretraining has nothing to warn about

        var again = await client.PostAsJsonAsync("/api/jobs", body);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(id, (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString());

        var detail = await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");
        Assert.True(detail.GetProperty("job").GetProperty("position").GetInt32() >= 1);
        Assert.Equal("", detail.GetProperty("spec").GetProperty("output").GetString()); // the server places outputs
        Assert.Equal("submitted", detail.GetProperty("history")[0].GetProperty("reason").GetString());

        var list = await client.GetFromJsonAsync<JsonElement>("/api/jobs?state=queued&owner=alice");
        Assert.Contains(list.EnumerateArray(), j => j.GetProperty("id").GetString() == id);
        var badFilter = await ProblemAsync(await client.GetAsync("/api/jobs?state=sleeping"), HttpStatusCode.BadRequest);
        Assert.Contains("queued", badFilter.GetProperty("errors").GetProperty("state")[0].GetString());

        Assert.Equal(HttpStatusCode.Conflict, (await client.DeleteAsync($"/api/jobs/{id}")).StatusCode);
        var cancel = await client.PostAsync($"/api/jobs/{id}/cancel", null);
        Assert.Equal("cancelled", (await cancel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        await ProblemAsync(await client.PostAsync($"/api/jobs/{id}/cancel", null), HttpStatusCode.Conflict);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/jobs/{id}")).StatusCode);
        await ProblemAsync(await client.GetAsync($"/api/jobs/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task OpenApiDocument_DescribesTheApi()
    {
        var doc = await Client().GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = doc.GetProperty("paths");
        foreach (var path in new[] { "/api/jobs", "/api/jobs/{id}", "/api/datasets", "/api/checkpoints", "/api/catalogue", "/api/demo" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing from the OpenAPI document");
    }

    [Fact]
    public async Task Catalogue_ListsFashionMnist_WithAvailability()
    {
        var catalogue = await Client().GetFromJsonAsync<JsonElement>("/api/catalogue");
        var fmnist = catalogue.EnumerateArray().Single(e => e.GetProperty("entry").GetProperty("id").GetString() == "fashion-mnist");
        Assert.Contains(fmnist.GetProperty("availability").GetString(), new[] { "here", "download" });
        var imagenet = catalogue.EnumerateArray().Single(e => e.GetProperty("entry").GetProperty("id").GetString() == "imagenet-1k");
        Assert.Equal("manual", imagenet.GetProperty("availability").GetString());
    }

    private static List<(string, byte[])> Good() => [("cat/1.png", s_png), ("cat/2.png", s_png), ("dog/1.png", s_png), ("dog/2.png", s_png)];

    private async Task<HttpResponseMessage> UploadZipAsync(IEnumerable<(string, byte[])> entries, Action<ZipArchiveEntry>? tweak = null)
    {
        using var dir = new TempDir();
        var zip = TestFiles.Zip(dir.File("upload.zip"), entries, tweak);
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(await File.ReadAllBytesAsync(zip)), "file", "upload.zip");
        return await Client().PostAsync("/api/datasets?name=pets", form);
    }

    private void AssertNothingKept()
    {
        var datasets = Path.Combine(factory.Data.Path, "datasets");
        var temp = Path.Combine(factory.Data.Path, "tmp");
        Assert.Empty(Directory.GetFileSystemEntries(temp));
        Assert.All(Directory.GetDirectories(datasets), d => Assert.True(File.Exists(Path.Combine(d, "data.zip")) || Directory.GetFiles(d).Length > 0));
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), "evil.png")));
        Assert.False(File.Exists(Path.Combine(factory.Data.Path, "evil.png")));
    }

    [Theory]
    [InlineData("slip")]
    [InlineData("absolute")]
    [InlineData("symlink")]
    [InlineData("nested")]
    [InlineData("ratio")]
    public async Task HostileZips_AreRejectedWhole_NothingKept(string attack)
    {
        var before = Directory.GetDirectories(Path.Combine(factory.Data.Path, "datasets")).Length;
        using var inner = new TempDir();
        var entries = attack switch
        {
            "slip" => [.. Good(), ("cat/../../evil.png", s_png)],
            "absolute" => [.. Good(), ("/tmp/evil.png", s_png)],
            "symlink" => [.. Good(), ("cat/link.png", Encoding.ASCII.GetBytes("/etc/passwd"))],
            "nested" => [.. Good(), ("cat/more.zip", await File.ReadAllBytesAsync(TestFiles.Zip(inner.File("in.zip"), Good())))],
            _ => Good().Append(("cat/zeros.png", new byte[8 << 20])).ToList(),
        };
        var response = await UploadZipAsync(entries,
            attack == "symlink" ? e => e.ExternalAttributes = e.FullName == "cat/link.png" ? unchecked((int)(0xA1FFu << 16)) : e.ExternalAttributes : null);
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("upload.zip", problem.GetProperty("detail").GetString());
        Assert.Equal(before, Directory.GetDirectories(Path.Combine(factory.Data.Path, "datasets")).Length);
        AssertNothingKept();
        // Bad input is one info line naming the request, never an "unhandled exception" with a stack trace.
        var logged = factory.Logs.Entries.Where(e => e.Message.Contains(problem.GetProperty("detail").GetString()!, StringComparison.Ordinal)).ToList();
        Assert.Equal(LogLevel.Information, Assert.Single(logged).Level);
        Assert.DoesNotContain(factory.Logs.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task EntryCountBomb_IsRejected()
    {
        var many = Enumerable.Range(0, 200_001).Select(i => ($"c/{i}", Array.Empty<byte>()));
        // 200k empty entries compress to a few MB: over the test lab's 256 KiB upload limit, so the size limit answers first.
        var response = await UploadZipAsync(many);
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.RequestEntityTooLarge });
        AssertNothingKept();
    }

    [Fact]
    public async Task UploadOverTheLimit_Is413_NothingKept()
    {
        var noise = new byte[400 * 1024];
        new Random(1).NextBytes(noise); // incompressible: the zip is over the 256 KiB limit
        var big = new List<(string, byte[])> { ("cat/1.png", noise), ("dog/1.png", s_png) };
        var response = await UploadZipAsync(big);
        var problem = await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("limit of", problem.GetProperty("detail").GetString());
        AssertNothingKept();
    }

    [Fact]
    public async Task NotAZip_IsAClearError()
    {
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(Encoding.ASCII.GetBytes("hello, I am not a dataset")), "file", "notes.txt");
        var problem = await ProblemAsync(await Client().PostAsync("/api/datasets", form), HttpStatusCode.BadRequest);
        Assert.Contains("neither a zip nor an IDX file", problem.GetProperty("detail").GetString());
        AssertNothingKept();
    }

    [Fact]
    public async Task GoodZip_IsAccepted_AsIngestingDataset_WithAnIngestJob()
    {
        var response = await UploadZipAsync(Good());
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var dataset = body.GetProperty("dataset");
        Assert.Equal("ingesting", dataset.GetProperty("state").GetString());
        Assert.Equal("pets", dataset.GetProperty("name").GetString());
        Assert.Equal("ingest", body.GetProperty("job").GetProperty("kind").GetString());
        var id = dataset.GetProperty("id").GetString()!;
        Assert.True(File.Exists(Path.Combine(factory.Data.Path, "datasets", id, "data.zip")));

        // Not ready yet: experiments on it are refused with a field error.
        var experiment = await Client().PostAsJsonAsync("/api/jobs", Experiment(new { target = id, source = "demo", seeds = 1 }));
        var problem = await ProblemAsync(experiment, HttpStatusCode.BadRequest);
        Assert.Contains("still being ingested", problem.GetProperty("errors").GetProperty("spec.target")[0].GetString());

        // Only its owner deletes it; the lab's own name cannot be borrowed to get round that.
        await ProblemAsync(await Client("bob").DeleteAsync($"/api/datasets/{id}"), HttpStatusCode.Forbidden);
        await Assert.ThrowsAsync<BadInputException>(() => factory.Services.GetRequiredService<UserStore>().AddAsync("weblab", Role.Member));
        Assert.True(File.Exists(Path.Combine(factory.Data.Path, "datasets", id, "data.zip")));
        Assert.Equal(HttpStatusCode.NoContent, (await Client().DeleteAsync($"/api/datasets/{id}")).StatusCode);
        Assert.False(Directory.Exists(Path.Combine(factory.Data.Path, "datasets", id)));
        await ProblemAsync(await Client().DeleteAsync($"/api/datasets/{id}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task IdxPair_IsAccepted_WithCanonicalNames()
    {
        var images = TestFiles.Idx([6, 4, 4], new byte[96], gzip: true);
        var labels = TestFiles.Idx([6], [0, 1, 0, 1, 0, 1]);
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(images), "files", "my-images.gz");
        form.Add(new ByteArrayContent(labels), "files", "my-labels");
        var response = await Client().PostAsync("/api/datasets", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("dataset").GetProperty("id").GetString()!;
        var folder = Path.Combine(factory.Data.Path, "datasets", id);
        Assert.True(File.Exists(Path.Combine(folder, "train-images-idx3-ubyte.gz")));
        Assert.True(File.Exists(Path.Combine(folder, "train-labels-idx1-ubyte")));
    }

    [Fact]
    public async Task PickleCheckpointImport_IsRefused_WithConversionAdvice()
    {
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent([0x80, 0x02, 0x7d, 0x71, 0x00, 0x28, 0x58, 0x01, 0x00, 0x00]), "file", "model.pth");
        form.Add(new StringContent("resnet18"), "architecture");
        form.Add(new StringContent("224"), "inputSize");
        var problem = await ProblemAsync(await Client().PostAsync("/api/checkpoints/import", form), HttpStatusCode.BadRequest);
        Assert.Contains("never unpickles", problem.GetProperty("detail").GetString());
        Assert.Empty(Directory.GetFiles(Path.Combine(factory.Data.Path, "uploads")));
    }

    [Fact]
    public async Task ImportForm_FieldErrors()
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent("resnet9000"), "architecture");
        form.Add(new StringContent("2"), "inputSize");
        form.Add(new StringContent("0.5,abc"), "mean");
        var problem = await ProblemAsync(await Client().PostAsync("/api/checkpoints/import", form), HttpStatusCode.BadRequest);
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "file", "architecture", "inputSize", "mean" })
            Assert.True(errors.TryGetProperty(field, out _), $"no error for {field}");
    }
}

/// <summary>Keeps every log entry of a test host.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly List<(string Category, LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_entries)
                return [.. _entries];
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (capture._entries)
                capture._entries.Add((category, logLevel, formatter(state, exception)));
        }
    }
}
