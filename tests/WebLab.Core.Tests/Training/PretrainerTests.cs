using WebLab.Checkpoints;
using WebLab.Data;
using WebLab.Training;

namespace WebLab.Tests.Training;

[Collection(FashionMnistGroup.Name)]
public class PretrainerTests(FashionMnist fashion)
{
    [Fact]
    public void Pretrain_SmallFashionMnistSubset_ClearlyBeatsChance_AndWritesAUsableCheckpoint()
    {
        Assert.NotNull(fashion.Dataset); // the data is present before timing anything
        using var dir = new TempDir();
        var output = dir.File("src.weblab");
        var progress = new List<TrainingProgress>();
        var result = Pretrainer.Run(new PretrainSpec("fashion-mnist", ["0", "1", "2", "3", "4"], "resnet8", output, Epochs: 4, BatchSize: 64,
                PerClass: 200, Device: "cpu"),
            new InlineProgress<TrainingProgress>(progress.Add), files: new DatasetFileOptions(AllowDownload: false));

        // 5 classes: chance is 20%. 1000 training images for 4 epochs reach well above it.
        Assert.True(result.Test.Accuracy > 0.6, $"test accuracy {result.Test.Accuracy:P1}");
        Assert.Equal(5000, result.Test.Count);
        Assert.Equal(4, result.Training.Curve.Count);
        Assert.Contains(progress, p => p.EpochEnd && p.Epoch == 4);
        Assert.All(progress.Where(p => p.EpochEnd), p => Assert.NotNull(p.ValAccuracy));

        var info = Checkpoint.ReadInfo(output);
        Assert.Equal(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat"], info.ClassNames);
        Assert.Equal("fashion-mnist", info.SourceDataset);
        Assert.Equal(result.Test.Accuracy, info.TestAccuracy);
        Assert.Equal(28, info.InputSize);
        Assert.Equal(1, info.Channels);
        Assert.InRange(info.Mean[0], 0.2f, 0.45f);

        // The checkpoint classifies a real test image the way the trained model did.
        using var predictor = new Predictor(output, "cpu");
        using var test = fashion.Dataset.Test!.SelectClasses([0, 1, 2, 3, 4]);
        var scores = predictor.Predict(test.ReadRange(0, 200), k: 5);
        var accuracy = scores.Select((s, i) => s[0].Index == test.Labels[i] ? 1.0 : 0.0).Average();
        Assert.True(accuracy > 0.6, $"predictor accuracy {accuracy:P1}");
        Assert.All(scores, s => Assert.Equal(1.0, s.Sum(c => c.Probability), 3));
    }
}
