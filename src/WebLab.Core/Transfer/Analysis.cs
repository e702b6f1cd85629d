using System.Diagnostics;
using TorchSharp;
using WebLab.Checkpoints;
using WebLab.Data;
using WebLab.Models;
using WebLab.Runtime;
using WebLab.Training;
using static TorchSharp.torch;

namespace WebLab.Transfer;

/// <summary>An "analyse" job: transferability of a source checkpoint to a target, before any real training.</summary>
/// <param name="Target">Target dataset: catalogue id or path.</param>
/// <param name="Source">Source checkpoint (.weblab).</param>
/// <param name="TargetClasses">Classes of the target to use; null = all.</param>
/// <param name="PerClass">Training images per class; null = all.</param>
/// <param name="Seed">Seed of the subsample, the random-init baseline and the short fine-tune.</param>
/// <param name="FineTuneSteps">Updates of the short fine-tune whose gap to the probe measures fit (0 = skip it).</param>
/// <param name="Device">"auto", "cpu" or "cuda".</param>
/// <param name="InputSize">Input size of the features and the fine-tune (null = the automatic rule of <see cref="InputSizes"/> on the device).</param>
public sealed record AnalysisSpec(
    string Target,
    string Source,
    IReadOnlyList<string>? TargetClasses = null,
    int? PerClass = null,
    int Seed = 0,
    int FineTuneSteps = 60,
    string Device = "auto",
    int? InputSize = null)
{
    public IReadOnlyList<FieldError> Validate()
    {
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(Target))
            errors.Add(new("target", "required."));
        if (string.IsNullOrWhiteSpace(Source))
            errors.Add(new("source", "required."));
        if (PerClass is < Experiment.MinPerClass)
            errors.Add(new("perClass", $"must be {Experiment.MinPerClass} or more."));
        if (FineTuneSteps is < 0 or > 10_000)
            errors.Add(new("fineTuneSteps", "must be in 0..10000."));
        if (InputSize is < InputSizes.Min or > InputSizes.Max)
            errors.Add(new("inputSize", $"must be in {InputSizes.Min}..{InputSizes.Max} pixels (got {InputSize}); leave it empty for the auto rule."));
        return errors;
    }
}

/// <summary>One measure's value, with what it is and what it cost.</summary>
/// <param name="Id">leep, nce, hscore, hscore-shrinkage, logme, knn, probe, probe-random, fine-tune, probe-gap, short-scratch, pilot-gain.</param>
/// <param name="Stage">The stage whose features it used (null: the source head's outputs or the whole model).</param>
/// <param name="Seconds">Its own compute time, excluding the shared feature extraction.</param>
public sealed record MeasureValue(string Id, string Name, double Value, int? Stage, double Seconds, string Range, string Reference);

/// <summary>A measure this source cannot give, and why; listed instead of a number (never 0).</summary>
/// <param name="Id">leep or nce.</param>
/// <param name="Reason">One line for people, e.g. <see cref="Measures.NoHeadReason"/>.</param>
public sealed record UnavailableMeasure(string Id, string Name, string Reason, string Reference);

/// <summary>Per-stage results: which depth's frozen features fit the target best.</summary>
/// <param name="HScoreShrinkage">The shrinkage H-score; NaN in analyses recorded before the lab computed it.</param>
public sealed record StageMeasures(int Stage, int Width, double ProbeAccuracy, double KnnAccuracy, double LogMe, double HScore, double Seconds,
    double HScoreShrinkage = double.NaN);

/// <summary>The target's size figures as the recommender uses them.</summary>
public sealed record SizeFigures(int Examples, int MinPerClass, int Classes, long ModelParameters, int InputSize);

/// <summary>Everything an analysis produced.</summary>
public sealed record AnalysisResult(
    TargetSummary Target,
    SourceSummary Source,
    SizeFigures Size,
    IReadOnlyList<MeasureValue> Measures,
    IReadOnlyList<StageMeasures> Stages,
    double FeatureSeconds,
    double Seconds,
    string Device,
    IReadOnlyList<UnavailableMeasure>? Unavailable = null)
{
    /// <summary>A measure by id at its default stage (the head's input), or null (not computed or not available).</summary>
    public double? Get(string id) => Measures.FirstOrDefault(m => m.Id == id)?.Value;

    /// <summary>Why a measure is missing, when this source cannot give it.</summary>
    public UnavailableMeasure? Missing(string id) => Unavailable?.FirstOrDefault(m => m.Id == id);
}

/// <summary>Computes every transferability measure of <see cref="Measures"/> plus the probe, kNN and short fine-tune.</summary>
public static class Analysis
{
    /// <summary>Neighbours of the kNN measure (fewer when a class has fewer training images).</summary>
    public const int KnnK = 5;

    /// <summary>Runs <paramref name="spec"/>; <paramref name="status"/> gets one line per stage of work.</summary>
    public static AnalysisResult Run(AnalysisSpec spec, IProgress<string>? status = null, DatasetFileOptions? files = null,
        CancellationToken cancellationToken = default)
    {
        var errors = spec.Validate();
        if (errors.Count > 0)
            throw new BadInputException("Invalid analysis: " + string.Join(" ", errors));
        var clock = Stopwatch.StartNew();
        TorchRuntime.Initialize();
        var device = TorchRuntime.ResolveDevice(spec.Device);
        using var source = Checkpoint.Load(spec.Source, device);
        var info = source.Info;
        // The same size an experiment with the auto rule trains at, so the measures describe what it will train on.
        int inputSize = InputSizes.Choose(new TransferDials(InputSize: spec.InputSize), info.InputSize, info.Architecture, device.type == DeviceType.CUDA,
            null).Size;
        using var dataset = DatasetLoader.LoadTarget(spec.Target, inputSize, files, cancellationToken);
        var classes = dataset.ResolveClasses(spec.TargetClasses);
        using var splits = Splits.Make(dataset, new SplitOptions(classes, spec.PerClass, Seed: spec.Seed, HoldoutSeed: spec.Seed));
        var counts = splits.Train.ClassCounts();
        int k = splits.ClassNames.Count;
        var small = Array.FindIndex(counts, c => c < Experiment.MinPerClass);
        if (small >= 0)
            throw new BadInputException(
                $"Class '{splits.ClassNames[small]}' has {counts[small]} training image(s); at least {Experiment.MinPerClass} per class are needed.");
        var target = new TargetSummary(dataset.Entry?.Id ?? dataset.Name, splits.ClassNames, spec.PerClass, splits.Train.Count, splits.Val.Count,
            splits.Test.Count, counts);
        var transform = ImageTransform.For(source, Augmentation.Off) with { InputSize = inputSize };
        var measures = new List<MeasureValue>();
        var unavailable = new List<UnavailableMeasure>();
        var stages = new List<StageMeasures>();
        double featureSeconds = 0;
        var train = splits.Train.Labels;
        var val = splits.Val.Labels;

        for (int stage = 1; stage <= source.Model.Stages; stage++)
        {
            status?.Report($"features of stage {stage}/{source.Model.Stages}");
            var featureClock = Stopwatch.StartNew();
            using var trainFeatures = LinearProbe.Features(source.Model, splits.Train, transform, device, stage, cancellationToken);
            using var valFeatures = LinearProbe.Features(source.Model, splits.Val, transform, device, stage, cancellationToken);
            featureSeconds += featureClock.Elapsed.TotalSeconds;
            var stageClock = Stopwatch.StartNew();
            var probe = Timed(() => LinearProbe.FitSelected(trainFeatures, train, valFeatures, val, k).ValAccuracy);
            var knn = Timed(() => Measures.KnnAccuracy(trainFeatures, train, valFeatures, val, Math.Min(KnnK, counts.Min())));
            var logMe = Timed(() => Measures.LogMe(trainFeatures, train, k));
            var hScore = Timed(() => Measures.HScore(trainFeatures, train, k));
            var hScoreShrinkage = Timed(() => Measures.HScoreShrinkage(trainFeatures, train, k));
            stages.Add(new StageMeasures(stage, (int)trainFeatures.shape[1], probe.Value, knn.Value, logMe.Value, hScore.Value,
                stageClock.Elapsed.TotalSeconds, hScoreShrinkage.Value));
            if (stage == source.Model.Stages)
            {
                measures.Add(new("probe", "Linear probe accuracy (val)", probe.Value, stage, probe.Seconds, "0..1",
                    "Field guide 5 and 8: a linear classifier on frozen features"));
                measures.Add(new("knn", $"{KnnK}-NN accuracy (val, cosine)", knn.Value, stage, knn.Seconds, "0..1", "Field guide 5"));
                measures.Add(new("logme", "LogME (evidence per example)", logMe.Value, stage, logMe.Seconds, "higher is better",
                    "Field guide 5; You et al., ICML 2021"));
                measures.Add(new("hscore", "H-score", hScore.Value, stage, hScore.Seconds, $"0..{k - 1}",
                    "Field guide 5; Bao et al., ICIP 2019"));
                measures.Add(new("hscore-shrinkage", "H-score (shrinkage)", hScoreShrinkage.Value, stage, hScoreShrinkage.Seconds, $"0..{k - 1}",
                    "Field guide 5; Ibrahim, Ponomareva & Mazumder, ECML-PKDD 2022 (Ledoit-Wolf covariance)"));
                HeadMeasures(source.Model, trainFeatures, train, k, measures, unavailable, status);
            }
        }

        var modelSpec = new ModelSpec(info.Architecture, k, info.Channels, inputSize, info.HeadStage);
        IReadOnlyList<ModelBlock> blocks;
        long parameters;
        using (var shape = Architectures.Create(modelSpec))
        {
            blocks = shape.Blocks;
            parameters = shape.ParameterCount;
        }

        status?.Report("random-init features (the baseline a probe must beat)");
        var random = Timed(() => RandomFeatureProbe(modelSpec, blocks, splits, transform, device, spec.Seed, cancellationToken));
        measures.Add(new("probe-random", "Linear probe on random-init features (val)", random.Value, source.Model.Stages, random.Seconds, "0..1",
            "Baseline for the probe: what the architecture gives without the source"));

        if (spec.FineTuneSteps > 0)
        {
            status?.Report($"short fine-tune ({spec.FineTuneSteps} updates)");
            var fineTune = Timed(() => ShortFineTune(modelSpec, blocks, info, source.Model, splits, transform, device, spec, cancellationToken));
            measures.Add(new("fine-tune", $"Short fine-tune accuracy (val, {spec.FineTuneSteps} updates)", fineTune.Value, null, fineTune.Seconds,
                "0..1", "Field guide 2: the probe vs short fine-tune gap"));
            measures.Add(new("probe-gap", "Short fine-tune minus probe (points)", 100 * (fineTune.Value - stages[^1].ProbeAccuracy), null, 0,
                "points; large = features fit poorly", "Field guide 2 and 5"));
            status?.Report($"short training from random initialisation ({spec.FineTuneSteps} updates)");
            var scratch = Timed(() => ShortScratch(modelSpec, blocks, splits, transform, device, spec, cancellationToken));
            measures.Add(new("short-scratch", $"Short training from random init (val, {spec.FineTuneSteps} updates)", scratch.Value, null, scratch.Seconds,
                "0..1", "Field guide 1: the same learner from random initialisation"));
            measures.Add(new("pilot-gain", "Pilot gain: short fine-tune minus short scratch training (points)", 100 * (fineTune.Value - scratch.Value), null, 0,
                "points; positive = the source helped", "Field guide 1: negative transfer, measured in a pilot"));
        }

        var sourceSummary = new SourceSummary(spec.Source, info.Name, info.Architecture, info.SourceDataset, info.ClassNames, info.TestAccuracy);
        var size = new SizeFigures(splits.Train.Count, counts.Min(), k, parameters, inputSize);
        return new AnalysisResult(target, sourceSummary, size, measures, stages, featureSeconds, clock.Elapsed.TotalSeconds, TorchRuntime.Describe(device),
            unavailable.Count > 0 ? unavailable : null);
    }

    private const string LeepName = "LEEP", LeepReference = "Field guide 5; Nguyen et al., ICML 2020";
    private const string NceName = "NCE (−H(Y|Z))", NceReference = "Field guide 5; Tran et al., ICCV 2019";

    /// <summary>LEEP and NCE from the source head's predictions; listed as unavailable when the source has no head.</summary>
    private static void HeadMeasures(BlockModel source, Tensor features, IReadOnlyList<int> labels, int k, List<MeasureValue> measures,
        List<UnavailableMeasure> unavailable, IProgress<string>? status)
    {
        if (!source.HasHead)
        {
            status?.Report("LEEP and NCE: " + Measures.NoHeadReason);
            unavailable.Add(new("leep", LeepName, Measures.NoHeadReason, LeepReference));
            unavailable.Add(new("nce", NceName, Measures.NoHeadReason, NceReference));
            return;
        }
        status?.Report("source head: LEEP and NCE");
        var head = Timed(() => SourceHead(source, features, labels, k));
        measures.Add(new("leep", LeepName, head.Value.Leep, null, head.Seconds, $"{Math.Log(1.0 / k):F2}..0", LeepReference));
        measures.Add(new("nce", NceName, head.Value.Nce, null, head.Seconds, $"{Math.Log(1.0 / k):F2}..0", NceReference));
    }

    private static (double Leep, double Nce) SourceHead(BlockModel source, Tensor features, IReadOnlyList<int> labels, int classes)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var probabilities = source.Classify(features.to(source.parameters().First().device)).softmax(1).cpu();
        var predictions = probabilities.argmax(1).data<long>().Select(p => (int)p).ToArray();
        return (Measures.Leep(probabilities, labels, classes), Measures.Nce(predictions, labels));
    }

    private static double RandomFeatureProbe(ModelSpec spec, IReadOnlyList<ModelBlock> blocks, DataSplits splits, ImageTransform transform, Device device,
        int seed, CancellationToken cancellationToken)
    {
        var plan = TransferPlan.ForScratch(blocks, new TransferDials(), new ScratchDials());
        using var model = TransferPlan.Build(spec, plan, null, seed);
        model.to(device);
        using var train = LinearProbe.Features(model, splits.Train, transform, device, cancellationToken: cancellationToken);
        using var val = LinearProbe.Features(model, splits.Val, transform, device, cancellationToken: cancellationToken);
        return LinearProbe.FitSelected(train, splits.Train.Labels, val, splits.Val.Labels, splits.ClassNames.Count).ValAccuracy;
    }

    /// <summary>Fine-tunes every block with the common defaults for a few updates; returns the best validation accuracy.</summary>
    private static double ShortFineTune(ModelSpec spec, IReadOnlyList<ModelBlock> blocks, CheckpointInfo info, BlockModel source, DataSplits splits,
        ImageTransform transform, Device device, AnalysisSpec analysis, CancellationToken cancellationToken)
    {
        var dials = new TransferDials(Steps: analysis.FineTuneSteps, Augment: false);
        var plan = TransferPlan.ForTransfer(blocks, TransferPlan.HeadTransferable(info, splits.ClassNames, spec.HeadStage), dials);
        return ShortRun(spec, plan, source, dials.TrainerSettings(analysis.Seed, 1, 0), splits, transform, device,
            new RunLabel("transfer", analysis.Seed, "short fine-tune"), cancellationToken);
    }

    /// <summary>
    /// Trains the same network from random initialisation for as many updates as the short fine-tune, with the scratch arm's standard
    /// recipe (SGD Nesterov at 0.1, cosine); returns the best validation accuracy. With the short fine-tune it is a pilot of an
    /// experiment's two arms, on validation. It shows where each arm starts; in the validation study it did not rank the final gain
    /// (README, "Does it work?").
    /// </summary>
    private static double ShortScratch(ModelSpec spec, IReadOnlyList<ModelBlock> blocks, DataSplits splits, ImageTransform transform, Device device,
        AnalysisSpec analysis, CancellationToken cancellationToken)
    {
        var transfer = new TransferDials(Steps: analysis.FineTuneSteps, Augment: false);
        var scratch = new ScratchDials(Recipe: ScratchRecipe.Standard);
        var plan = TransferPlan.ForScratch(blocks, transfer, scratch);
        return ShortRun(spec, plan, null, scratch.TrainerSettings(transfer, 1) with { Seed = analysis.Seed }, splits, transform, device,
            new RunLabel("scratch", analysis.Seed, "short training"), cancellationToken);
    }

    /// <summary>Builds the plan's network (from <paramref name="source"/>, or random init when null), trains it; the best validation accuracy.</summary>
    private static double ShortRun(ModelSpec spec, IReadOnlyList<BlockPlan> plan, BlockModel? source, TrainerSettings settings, DataSplits splits,
        ImageTransform transform, Device device, RunLabel label, CancellationToken cancellationToken)
    {
        using var model = TransferPlan.Build(spec, plan, source, settings.Seed);
        model.to(device);
        return Trainer.Run(model, TransferPlan.Groups(model, plan), splits, transform, settings, device, label, null, null, cancellationToken)
            .BestValAccuracy;
    }

    private static (T Value, double Seconds) Timed<T>(Func<T> work)
    {
        var clock = Stopwatch.StartNew();
        var value = work();
        return (value, clock.Elapsed.TotalSeconds);
    }
}
