using WebLab.Checkpoints;
using WebLab.Models;
using WebLab.Tests;

namespace WebLab.Web.Tests;

/// <summary>What the `weblab` verbs print, run as a user runs them.</summary>
public sealed class CliOutputTests
{
    [Fact]
    public async Task Predict_WritesTheRankingToStdoutAndNothingToStderr()
    {
        using var dir = new TempDir();
        var checkpoint = dir.File("tiny" + Checkpoint.Extension);
        using (var model = Architectures.Create(new ModelSpec("resnet8", 2, 1, 28)))
            Checkpoint.Save(checkpoint, model, new CheckpointInfo("resnet8", 28, 1, ["zero", "one"], [0.3f], [0.2f]));
        var image = dir.File("digit.png");
        File.WriteAllBytes(image, TestFiles.Image(28, 28, seed: 1, gray: true));

        // libtorch's NNPACK start-up warnings ("Unsupported hardware") came out here, one per convolution.
        var run = await WeblabCli.RunAsync(null, null, "predict", "--checkpoint", checkpoint, "--image", image);

        run.AssertSucceeded();
        Assert.Contains("zero", run.Stdout);
        Assert.Equal("", run.Stderr);
    }

    [Fact]
    public async Task ZooInstall_ThenEmbed_PrintsThe512PooledFeatures_AndPredictSaysWhyNot()
    {
        using var dir = new TempDir();
        var list = await WeblabCli.RunAsync(null, null, "zoo", "list");
        list.AssertSucceeded();
        Assert.Contains("resnet18-imagenet", list.Stdout);
        Assert.Contains("available", list.Stdout);

        var checkpoint = dir.File("r18" + Checkpoint.Extension);
        var install = await WeblabCli.RunAsync(null, null, "zoo", "install", "resnet18-imagenet", "--out", checkpoint);
        install.AssertSucceeded();
        Assert.Contains("no classifier head", install.Stdout);
        Assert.Contains("100 %", install.Stderr); // the progress bar

        var image = dir.File("photo.png");
        File.WriteAllBytes(image, TestFiles.Image(300, 200, seed: 3));
        var embed = await WeblabCli.RunAsync(null, null, "embed", "--checkpoint", checkpoint, "--image", image, "--json");
        embed.AssertSucceeded();
        using var json = System.Text.Json.JsonDocument.Parse(embed.Stdout);
        var features = json.RootElement.GetProperty("features").EnumerateArray().Select(f => f.GetDouble()).ToArray();
        Assert.Equal(512, features.Length);
        Assert.All(features, f => Assert.True(f >= 0)); // pooled after a ReLU
        Assert.Contains(features, f => f > 0);

        var predict = await WeblabCli.RunAsync(null, null, "predict", "--checkpoint", checkpoint, "--image", image);
        Assert.Equal(2, predict.ExitCode);
        Assert.Contains("error: r18.weblab has no classifier head", predict.Stderr);

        var unknown = await WeblabCli.RunAsync(null, null, "zoo", "install", "vgg99");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("The zoo has no model 'vgg99'", unknown.Stderr);
    }
}
