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
}
