using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WebLab.Lab.Storage;

namespace WebLab.Web.Tests.Api;

/// <summary>
/// The two demos through the real host (workers off): the colour demo says why it cannot run until the lab's ImageNet
/// source is installed, then queues the experiment Demo.Colour describes, from that source. The Home page is read as
/// the host prerenders it for a signed-in member.
/// </summary>
public sealed class DemoApiTests(LabApiFactory factory) : IClassFixture<LabApiFactory>
{
    private const string ZooCheckpoint = "ckpt_2222222222222222z";

    [Fact]
    public async Task ColourDemo_IsRefusedWithItsReason_UntilTheZooSourceIsInstalled_ThenQueuesTheColourExperiment()
    {
        var client = factory.ClientFor("dana");
        var offers = await client.GetFromJsonAsync<JsonElement>("/api/demos");
        Assert.Equal(["fashion-mnist", "colour"], offers.EnumerateArray().Select(o => o.GetProperty("id").GetString()));
        var colour = offers[1];
        Assert.Equal("ImageNet ResNet-18 on colour pictures", colour.GetProperty("title").GetString());
        const string reason = "This lab has no ImageNet ResNet-18 source: it installs one on its first start unless WebLab:InstallZooSource is false";
        Assert.StartsWith(reason, colour.GetProperty("unavailable").GetString(), StringComparison.Ordinal);

        var refused = await client.PostAsync("/api/demo/colour", null);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.StartsWith(reason, (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        var unknown = await client.PostAsync("/api/demo/mnist", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("Demos: fashion-mnist, colour.", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var home = await client.GetStringAsync("/");
        Assert.Contains("ImageNet ResNet-18 on colour pictures", home, StringComparison.Ordinal);
        Assert.Contains("id=\"colour-demo-unavailable\"", home, StringComparison.Ordinal);
        Assert.Matches("<button[^>]*disabled[^>]*id=\"run-colour-demo\"|<button[^>]*id=\"run-colour-demo\"[^>]*disabled", home);

        await InstallZooSourceAsync();
        Assert.False((await client.GetFromJsonAsync<JsonElement>("/api/demos"))[1].TryGetProperty("unavailable", out _)); // null: it can run
        home = await client.GetStringAsync("/");
        Assert.DoesNotContain("id=\"colour-demo-unavailable\"", home, StringComparison.Ordinal);
        Assert.DoesNotMatch("<button[^>]*disabled[^>]*id=\"run-colour-demo\"|<button[^>]*id=\"run-colour-demo\"[^>]*disabled", home);

        var submitted = await client.PostAsync("/api/demo/colour", null);
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var job = await submitted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("experiment", "dana"), (job.GetProperty("kind").GetString(), job.GetProperty("owner").GetString()));
        var spec = (await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{job.GetProperty("id").GetString()}")).GetProperty("spec");
        Assert.Equal("emoji-nature", spec.GetProperty("target").GetString());
        Assert.Equal(ZooCheckpoint, spec.GetProperty("source").GetString()); // the lab's installed ImageNet ResNet-18, by id
        Assert.Equal(WebLab.Training.Demo.Colour.PerClass, spec.GetProperty("perClass").GetInt32());
        Assert.Equal(WebLab.Training.Demo.Colour.Seeds, spec.GetProperty("seeds").GetInt32());
        Assert.Equal(WebLab.Training.Demo.Colour.Preset, spec.GetProperty("preset").GetString());
        var overrides = spec.GetProperty("overrides");
        foreach (var (name, value) in WebLab.Training.Demo.Colour.Overrides)
            Assert.Equal(value, overrides.GetProperty(name).GetString());
        Assert.False(spec.TryGetProperty("transfer", out _)); // the preset's dials are resolved by the worker, input size included
    }

    /// <summary>The rows a finished zoo-install job of the lab leaves: the job and its built-in checkpoint.</summary>
    private async Task InstallZooSourceAsync()
    {
        var now = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        await using var connection = await factory.Services.GetRequiredService<Database>().OpenAsync();
        await Dapper.SqlMapper.ExecuteAsync(connection, """
            INSERT INTO jobs (id, kind, owner, name, spec_json, state, max_attempts, idempotency_key, lane, created_at, finished_at)
            VALUES ('job_zoo00000000000001', 'zoo-install', 'weblab', 'Built-in source: ResNet-18 (ImageNet)', '{"model":"resnet18-imagenet"}', 'succeeded',
                    3, 'weblab:builtin-zoo-source:key_test', 'utility', @now, @now);
            INSERT INTO checkpoints (id, name, owner, path, info_json, job_id, builtin, created_at)
            VALUES (@id, 'ResNet-18 (ImageNet, ML.NET)', 'weblab', 'resnet18-imagenet.weblab', '{}', 'job_zoo00000000000001', 1, @now);
            """, new { id = ZooCheckpoint, now });
    }
}
