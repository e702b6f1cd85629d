using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WebLab.Tests;

namespace WebLab.Web.Tests;

/// <summary>The lab's first start installs the zoo's ImageNet ResNet-18 as a built-in source, through a worker, offline.</summary>
public sealed class ZooSourceTests
{
    [Fact]
    public async Task FirstStart_InstallsTheImageNetSource_AsBuiltIn_WithoutAHead()
    {
        using var data = new TempDir();
        using var lab = new LabProcess(data.Path, new Dictionary<string, string> { ["WebLab__InstallZooSource"] = "true" });
        var zoo = await WaitForBuiltinAsync(lab);
        var info = zoo.GetProperty("info");
        Assert.Equal("resnet18-cntk", info.GetProperty("architecture").GetString());
        Assert.False(info.GetProperty("hasHead").GetBoolean());
        Assert.Equal("bgr", info.GetProperty("encoding").GetProperty("channelOrder").GetString());
        Assert.Equal("imagenet-1k", info.GetProperty("sourceDataset").GetString());
        Assert.DoesNotContain(data.Path, zoo.GetRawText(), StringComparison.Ordinal); // no server paths in the API

        // It is not the demo source ("demo" still means the pretrained Fashion-MNIST model, which this lab has not made).
        Assert.Equal(HttpStatusCode.NotFound, (await lab.Http.GetAsync("/api/checkpoints/demo")).StatusCode);
        var page = await lab.Http.GetStringAsync("/checkpoints");
        Assert.Contains("no classifier head: features only", page, StringComparison.Ordinal);
        Assert.Contains("built-in", page, StringComparison.Ordinal);

        using var image = new MultipartFormDataContent { { new ByteArrayContent(TestFiles.Image(32, 32, 1)), "image", "x.png" } };
        var predict = await lab.Http.PostAsync($"/api/checkpoints/{zoo.GetProperty("id").GetString()}/predict", image);
        Assert.Equal(HttpStatusCode.BadRequest, predict.StatusCode);
        Assert.Contains("no classifier head", await predict.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A restart finds it and queues nothing more.
        lab.Kill();
        lab.Start();
        var jobs = await lab.Http.GetFromJsonAsync<JsonElement>("/api/jobs");
        Assert.Single(jobs.EnumerateArray(), j => j.GetProperty("kind").GetString() == "zoo-install");
    }

    private static async Task<JsonElement> WaitForBuiltinAsync(LabProcess lab)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            var checkpoints = await lab.Http.GetFromJsonAsync<JsonElement>("/api/checkpoints");
            foreach (var c in checkpoints.EnumerateArray())
            {
                if (c.GetProperty("builtin").GetBoolean())
                    return c;
            }
            await Task.Delay(500);
        }
        throw new TimeoutException("the zoo source was not installed within 120 s:\n" + lab.Log);
    }
}
