using System.Diagnostics;
using WebLab.Checkpoints;
using WebLab.Models;
using WebLab.Tests;

namespace WebLab.Web.Tests;

/// <summary>What the `weblab` verbs print, run as a user runs them.</summary>
public sealed class CliOutputTests
{
    private static string CliBin => Path.Combine(Fsi.RepoRoot, "src/WebLab.Cli/bin/Release/net10.0");

    [Fact]
    public async Task Predict_WritesTheRankingToStdoutAndNothingToStderr()
    {
        Assert.True(File.Exists(Path.Combine(CliBin, "weblab.dll")), "build the solution in Release first");
        using var dir = new TempDir();
        var checkpoint = dir.File("tiny" + Checkpoint.Extension);
        using (var model = Architectures.Create(new ModelSpec("resnet8", 2, 1, 28)))
            Checkpoint.Save(checkpoint, model, new CheckpointInfo("resnet8", 28, 1, ["zero", "one"], [0.3f], [0.2f]));
        var image = dir.File("digit.png");
        File.WriteAllBytes(image, TestFiles.Image(28, 28, seed: 1, gray: true));

        // libtorch's NNPACK start-up warnings ("Unsupported hardware") came out here, one per convolution.
        using var process = Process.Start(Fsi.StartInfo(CliBin, "weblab.dll", "predict", "--checkpoint", checkpoint, "--image", image))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{await stdout}\n{await stderr}");
        Assert.Contains("zero", await stdout);
        Assert.Equal("", await stderr);
    }
}
