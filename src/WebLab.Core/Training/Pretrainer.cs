using System.Diagnostics;
using TorchSharp;
using WebLab.Checkpoints;
using WebLab.Data;
using WebLab.Models;
using WebLab.Runtime;

namespace WebLab.Training;

/// <summary>
/// A source-model training job: train an architecture from scratch on (a class subset of) a dataset and
/// write a WebLab checkpoint that later experiments transfer from.
/// </summary>
/// <param name="Dataset">Catalogue id or path.</param>
/// <param name="Classes">Class references (indices or names); null = all.</param>
/// <param name="Architecture">Architecture name.</param>
/// <param name="Output">Checkpoint path to write.</param>
/// <param name="Epochs">Passes over the training split.</param>
/// <param name="BatchSize">Batch size.</param>
/// <param name="LearningRate">Peak SGD learning rate (cosine decay, 1 epoch warm-up capped at 10% of steps).</param>
/// <param name="WeightDecay">L2 strength.</param>
/// <param name="PerClass">Training images per class; null = all.</param>
/// <param name="InputSize">Input size; null = the dataset's native size for small images, else the architecture default.</param>
/// <param name="Seed">Seed for data order, augmentation and initialisation.</param>
/// <param name="Device">"auto", "cpu" or "cuda".</param>
/// <param name="Augment">Use train-time augmentation.</param>
/// <param name="Name">Display name of the checkpoint.</param>
public sealed record PretrainSpec(
    string Dataset,
    IReadOnlyList<string>? Classes,
    string Architecture,
    string Output,
    int Epochs = 3,
    int BatchSize = 128,
    double LearningRate = 0.1,
    double WeightDecay = 5e-4,
    int? PerClass = null,
    int? InputSize = null,
    int Seed = 0,
    string Device = "auto",
    bool Augment = true,
    string? Name = null);

/// <summary>Outcome of a pretraining job.</summary>
public sealed record PretrainResult(string Checkpoint, CheckpointInfo Info, TrainingResult Training, Evaluation Test, string Device, double Seconds);

/// <summary>Runs <see cref="PretrainSpec"/>s.</summary>
public static class Pretrainer
{
    public static PretrainResult Run(PretrainSpec spec, IProgress<TrainingProgress>? progress = null, IProgress<string>? status = null,
        RunControl? control = null, DatasetFileOptions? files = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        TorchRuntime.Initialize();
        var device = TorchRuntime.ResolveDevice(spec.Device);
        var architecture = Architectures.Get(spec.Architecture);
        status?.Report($"loading {spec.Dataset}");
        using var dataset = DatasetLoader.Load(spec.Dataset, new DatasetLoadOptions(spec.InputSize is { } s ? ImageTransform.CacheSizeFor(s) : null,
            Files: files), status: status, cancellationToken: cancellationToken);
        var classes = spec.Classes is null ? null : dataset.ResolveClasses(spec.Classes);
        using var splits = Splits.Make(dataset, new SplitOptions(classes, spec.PerClass, Seed: spec.Seed, ValFraction: 0.1));
        int inputSize = spec.InputSize ?? (splits.Train.Size < 64 ? splits.Train.Size : architecture.DefaultInputSize);
        var (mean, std) = splits.Train.ChannelStatistics();
        var channels = splits.Train.Channels;
        var transform = new ImageTransform(inputSize, channels, mean, std,
            spec.Augment ? Augmentation.For(inputSize, dataset.Flip) : Augmentation.Off);

        torch.manual_seed(spec.Seed);
        using var model = architecture.Create(new ModelSpec(architecture.Name, splits.ClassNames.Count, channels, inputSize));
        model.to(device);
        var group = new ParamGroupPlan("all", model.named_parameters().Select(p => (p.name, p.parameter)).ToList(), spec.LearningRate,
            L2: spec.WeightDecay);
        int perEpoch = Math.Max(1, splits.Train.Count / spec.BatchSize);
        var settings = new TrainerSettings(Epochs: spec.Epochs, BatchSize: spec.BatchSize, Nesterov: true, Seed: spec.Seed,
            Schedule: new Schedule(ScheduleKind.Cosine, WarmupSteps: Math.Min(perEpoch, spec.Epochs * perEpoch / 10)));
        status?.Report($"training {architecture.Name} on {splits.Train.Count} images ({splits.ClassNames.Count} classes) on {TorchRuntime.Describe(device)}");
        var training = Trainer.Run(model, [group], splits, transform, settings, device, new RunLabel("pretrain", spec.Seed, "train"),
            progress, control, cancellationToken);
        status?.Report($"testing on {splits.Test.Count} images");
        var test = Evaluation.Run(model, splits.Test, transform with { Augment = Augmentation.Off }, device);

        var info = new CheckpointInfo(architecture.Name, inputSize, channels, splits.ClassNames, mean, std,
            Name: spec.Name ?? $"{architecture.Name} on {dataset.Name}" + (classes is null ? "" : $" [{string.Join(",", splits.ClassNames)}]"),
            SourceDataset: dataset.Entry?.Id ?? dataset.Name,
            SourceClasses: splits.ClassNames,
            Training: new TrainingRecord("pretrain", training.Curve.Count, training.Steps, spec.Seed, TorchRuntime.Describe(device),
                clock.Elapsed.TotalSeconds, new Dictionary<string, string>
                {
                    ["optimizer"] = "SGD momentum 0.9 Nesterov",
                    ["learningRate"] = spec.LearningRate.ToString("g"),
                    ["schedule"] = "cosine with warm-up",
                    ["weightDecay"] = spec.WeightDecay.ToString("g"),
                    ["batchSize"] = spec.BatchSize.ToString(),
                    ["trainImages"] = splits.Train.Count.ToString(),
                    ["augment"] = spec.Augment.ToString(),
                }),
            TestAccuracy: test.Accuracy,
            Created: DateTimeOffset.UtcNow);
        model.cpu();
        Checkpoint.Save(spec.Output, model, info);
        return new PretrainResult(spec.Output, info, training, test, TorchRuntime.Describe(device), clock.Elapsed.TotalSeconds);
    }
}
