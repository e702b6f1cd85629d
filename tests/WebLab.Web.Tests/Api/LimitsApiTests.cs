using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WebLab.Lab.Catalog;
using WebLab.Lab.Storage;

namespace WebLab.Web.Tests.Api;

/// <summary>
/// Each of the lab's caps (JobLimits) hit once through the real host: 400 with the field's path, and no job stored.
/// Every spec here is valid except for the one value over its cap, so the cap alone refuses it.
/// </summary>
public sealed class LimitsApiTests(LabApiFactory factory) : IClassFixture<LabApiFactory>
{
    private async Task<(HttpClient Client, string User)> ClientAsync()
    {
        var user = "limits-" + Guid.NewGuid().ToString("N")[..8];
        var client = factory.ClientFor(user);
        await SourceAsync();
        return (client, user);
    }

    private const string Source = "ckpt_11111111111111111";

    /// <summary>A registered source checkpoint, so that experiments and sweeps are valid apart from their caps.</summary>
    private async Task SourceAsync()
    {
        var checkpoints = factory.Services.GetRequiredService<CheckpointStore>();
        if (await checkpoints.GetAsync(Source) is not null)
            return;
        var path = Path.Combine(factory.Data.Path, "source.weblab");
        await File.WriteAllBytesAsync(path, [1, 2, 3]);
        await using var connection = await factory.Services.GetRequiredService<Database>().OpenAsync();
        // A row as a finished pretraining would leave it (the store's writer belongs to the lab's unit of work).
        await Dapper.SqlMapper.ExecuteAsync(connection, """
            INSERT OR IGNORE INTO checkpoints (id, name, owner, path, info_json, builtin, created_at) VALUES (@Source, 'source', 'test', @path, '{}', 0, @now)
            """, new { Source, path, now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) });
    }

    private static object Experiment(object? transfer = null, object? scratch = null, int perClass = 10, int firstSeed = 0) => new
    {
        target = "fashion-mnist", source = Source, targetClasses = new[] { "5", "6" }, perClass, seeds = 1, firstSeed,
        transfer = transfer ?? new { epochs = 1 }, scratch,
    };

    /// <summary>Submits, expects 400 with an error at <paramref name="field"/> containing <paramref name="expected"/>, and no job of the user.</summary>
    private async Task RefusedAsync(object body, string field, string expected)
    {
        var (client, user) = await ClientAsync();
        var response = await client.PostAsJsonAsync("/api/jobs", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out var messages), $"no error at {field}: {errors}");
        Assert.Contains(expected, messages[0].GetString());
        Assert.Empty((await client.GetFromJsonAsync<JsonElement>($"/api/jobs?owner={user}")).EnumerateArray());
    }

    [Fact]
    public async Task TheValidBaseSpec_IsAccepted()
    {
        var (client, _) = await ClientAsync();
        var response = await client.PostAsJsonAsync("/api/jobs", new { kind = "experiment", spec = Experiment() });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Theory]
    [InlineData("transfer", "epochs", 5000, "cap of 1000")]
    [InlineData("transfer", "steps", 2_000_000, "cap of 1000000")]
    [InlineData("scratch", "epochs", 5000, "cap of 1000")]
    [InlineData("scratch", "steps", 2_000_000, "cap of 1000000")]
    public async Task ArmBudgets_OverTheirCaps_Are400(string arm, string budget, int value, string expected)
    {
        var dials = new Dictionary<string, int> { [budget] = value };
        var spec = arm == "transfer" ? Experiment(transfer: dials) : Experiment(scratch: dials);
        await RefusedAsync(new { kind = "experiment", spec }, $"spec.{arm}.{budget}", expected);
    }

    [Fact]
    public async Task PerClassOverItsCap_Is400() =>
        await RefusedAsync(new { kind = "experiment", spec = Experiment(perClass: 200_000) }, "spec.perClass", "cap of 100000");

    [Theory]
    [InlineData(2_000_000)]
    [InlineData(-1)]
    public async Task FirstSeedOutsideItsRange_Is400(int firstSeed) =>
        await RefusedAsync(new { kind = "experiment", spec = Experiment(firstSeed: firstSeed) }, "spec.firstSeed", "0..1000000");

    [Fact]
    public async Task PresetOverridesOverTheirCaps_Are400() =>
        await RefusedAsync(new
        {
            kind = "experiment",
            spec = new { target = "fashion-mnist", source = Source, perClass = 10, seeds = 1, preset = "auto", overrides = new { epochs = "5000" } },
        }, "spec.transfer.epochs", "cap of 1000");

    [Fact]
    public async Task SweepPointsOverTheBudgetCap_Are400_NamingThePoint() =>
        await RefusedAsync(new
        {
            kind = "sweep",
            spec = new { @base = Experiment(), axes = new[] { new { setting = "epochs", values = new[] { "2", "5000" } } } },
        }, "spec.axes", "point epochs=5000: transfer.epochs: 5000 is over this lab's cap of 1000");

    [Fact]
    public async Task PretrainEpochsOverTheCap_Are400() =>
        await RefusedAsync(new { kind = "pretrain", spec = new { dataset = "fashion-mnist", architecture = "resnet8", epochs = 5000 } },
            "spec.epochs", "cap of 1000");

    [Theory]
    [InlineData(200_000, 0, "spec.perClass", "cap of 100000")]
    [InlineData(10, -1, "spec.seed", "0..1000000")]
    public async Task AnalysisOverItsCaps_Is400(int perClass, int seed, string field, string expected) =>
        await RefusedAsync(new { kind = "analyse", spec = new { target = "fashion-mnist", source = Source, perClass, seed } }, field, expected);

    [Fact]
    public async Task SweepBomb_IsRefusedWithinASecond_BeforeAnyPointIsBuilt()
    {
        // Three 1,000-value axes: about 20 KB of JSON naming 10^9 points.
        var values = Enumerable.Range(1, 1000).Select(i => (i / 10_000.0).ToString(CultureInfo.InvariantCulture)).ToArray();
        var axes = new[] { "headLearningRate", "layerDecay", "l2" }.Select(s => new { setting = s, values }).ToArray();
        var body = new { kind = "sweep", spec = new { @base = Experiment(), axes } };
        var (client, _) = await ClientAsync();
        await client.GetAsync("/api/jobs"); // the host is warm: the clock below times the refusal alone

        var clock = Stopwatch.StartNew();
        var response = await client.PostAsJsonAsync("/api/jobs", body);
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
        Assert.InRange(JsonSerializer.SerializeToUtf8Bytes(body).Length, 15_000, 40_000);
        await RefusedAsync(body, "spec.axes", "1,000,000,000 points (1000 x 1000 x 1000); at most 200 per sweep");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
