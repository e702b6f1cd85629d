using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using TorchSharp;
using WebLab.Checkpoints;
using WebLab.Data;
using WebLab.Models;
using WebLab.Runtime;
using WebLab.Transfer;
using static TorchSharp.torch;

namespace WebLab.Training;

/// <summary>
/// Runs transfer experiments: for each seed, the transfer arm and the random-initialisation arm on identical
/// data (same subsample, same batch order, same augmentation draws), architecture, budget and initialisation
/// of every non-transferred block; then the negative transfer gap over seeds.
/// </summary>
public static partial class Experiment
{
    public const string TransferArm = "transfer";
    public const string ScratchArm = "scratch";

    /// <summary>Fewer training images than this in any class: the experiment is refused.</summary>
    public const int MinPerClass = 5;

    /// <summary>Fewer training images than this in any class: a warning.</summary>
    public const int WarnPerClass = 20;

    /// <summary>Most misclassified test items listed per confusion cell.</summary>
    public const int MaxItemsPerCell = 100;

    /// <summary>Runs <paramref name="spec"/> and streams its events; the last one is <see cref="ExperimentFinished"/>.</summary>
    /// <param name="scratchRuns">Finished scratch runs by content key, reused and kept (null: every scratch run trains).</param>
    public static async IAsyncEnumerable<ExperimentEvent> RunAsync(ExperimentSpec spec, RunControl? control = null, DatasetFileOptions? files = null,
        IScratchRunCache? scratchRuns = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<ExperimentEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var run = Task.Factory.StartNew(() =>
        {
            try
            {
                var result = Run(spec, new InlineProgress<ExperimentEvent>(e => channel.Writer.TryWrite(e)), control, files, scratchRuns, cancellationToken);
                channel.Writer.TryWrite(new ExperimentFinished(result));
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await foreach (var item in channel.Reader.ReadAllAsync(CancellationToken.None))
            yield return item;
        await run;
    }

    /// <summary>Runs <paramref name="spec"/>; progress records are throttled. Cancelling throws and writes nothing.</summary>
    /// <param name="scratchRuns">
    /// Finished scratch runs by content key: a seed whose scratch run is there is not trained again (its run is marked
    /// <see cref="SeedRun.Reused"/>), and each scratch run trained to the end is stored. Null: every scratch run trains.
    /// </param>
    public static ExperimentResult Run(ExperimentSpec spec, IProgress<ExperimentEvent>? progress = null, RunControl? control = null,
        DatasetFileOptions? files = null, IScratchRunCache? scratchRuns = null, CancellationToken cancellationToken = default)
    {
        var errors = spec.Validate();
        if (errors.Count > 0)
            throw new BadInputException("Invalid experiment: " + string.Join(" ", errors));
        var clock = Stopwatch.StartNew();
        TorchRuntime.Initialize();
        var device = TorchRuntime.ResolveDevice(spec.Device);

        using var source = Checkpoint.Load(spec.Source, device);
        var info = source.Info;
        var prepared = Prepare(spec, info, device.type == DeviceType.CUDA, progress, files, cancellationToken);
        using var dataset = prepared.Dataset;
        var (target, warnings, recommendation, analysis, inputSize) = (prepared.Target, prepared.Warnings, prepared.Recommendation, prepared.Analysis,
            prepared.InputSize);
        spec = prepared.Spec;
        var dials = spec.Dials;
        var seeds = Enumerable.Range(spec.FirstSeed, spec.Seeds).ToArray();
        SplitOptions SplitFor(int seed) => prepared.SplitFor(seed);

        var headStage = dials.HeadStage ?? info.HeadStage;
        // Both arms train and test at one size; the model's pooling is adaptive, so the source's weights fit any size.
        var modelSpec = new ModelSpec(info.Architecture, target.Classes.Count, info.Channels, inputSize.Size, headStage);
        IReadOnlyList<ModelBlock> blocks;
        using (var shape = Architectures.Create(modelSpec))
            blocks = shape.Blocks;
        var transferPlan = TransferPlan.ForTransfer(blocks, TransferPlan.HeadTransferable(info, target.Classes, headStage), dials);
        var scratchPlan = TransferPlan.ForScratch(blocks, dials, spec.ScratchArm);
        var transform = ImageTransform.For(source, dials.Augmentation(inputSize.Size, dataset.Flip)) with { InputSize = inputSize.Size };
        var scratchTransform = transform with { Augment = spec.ScratchArm.AugmentationFor(dials, inputSize.Size, dataset.Flip) };
        ImageTransform Evaluating(ImageTransform training) => training with { Augment = training.Augment.ForEvaluation() };
        var evalTransform = Evaluating(transform);

        int batchesPerEpoch = BatchesPerEpoch(target.TrainSize, dials.BatchSize);
        int scratchBatchesPerEpoch = BatchesPerEpoch(target.TrainSize, spec.ScratchArm.BatchSizeFor(dials));
        var transferSettings = CountHeadFit(dials.TrainerSettings(0, batchesPerEpoch, dials.BssEta), dials, batchesPerEpoch);
        var scratchSettings = spec.ScratchArm.TrainerSettings(dials, scratchBatchesPerEpoch);
        var reuse = ScratchReuse.Find(scratchRuns, seeds, seed =>
        {
            using var splits = Splits.Make(dataset, SplitFor(seed));
            return ScratchRunKey.Of(splits, modelSpec, scratchPlan, scratchSettings with { Seed = seed }, scratchTransform, device);
        });
        long totalSteps = seeds.Length * (long)transferSettings.TotalSteps(batchesPerEpoch)
                          + (seeds.Length - reuse.Count) * (long)scratchSettings.TotalSteps(scratchBatchesPerEpoch);
        var name = spec.Name ?? $"{info.Name ?? info.Architecture} -> {dataset.Name}";
        var sourceSummary = new SourceSummary(spec.Source, info.Name, info.Architecture, info.SourceDataset, info.ClassNames, info.TestAccuracy);
        var deviceName = TorchRuntime.Describe(device);
        progress?.Report(new ExperimentStarted(name, target, sourceSummary, warnings, seeds.Length * 2, deviceName, inputSize));

        ProbeResult? probe = null;
        if (spec.Probe)
        {
            using var splits = Splits.Make(dataset, SplitFor(seeds[0]));
            probe = RunProbe(source.Model, splits, evalTransform, device, headStage, cancellationToken);
            progress?.Report(new ProbeFinished(probe));
        }

        var runs = new Dictionary<string, List<SeedRun>> { [TransferArm] = [], [ScratchArm] = [] };
        long stepsDone = 0;
        Dictionary<string, Tensor>? bestWeights = null;
        double bestVal = double.NegativeInfinity;
        int bestSeed = seeds[0];
        bool stopped = false;
        try
        {
            foreach (var seed in seeds)
            {
                using var splits = Splits.Make(dataset, SplitFor(seed));
                foreach (var arm in new[] { TransferArm, ScratchArm })
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    bool isTransfer = arm == TransferArm;
                    if (!isTransfer && reuse.Stored(seed) is { } stored)
                    {
                        runs[arm].Add(stored);
                        double fraction = stepsDone / (double)totalSteps;
                        ReportReused(progress, stored, scratchSettings, scratchBatchesPerEpoch, fraction, Eta(clock.Elapsed.TotalSeconds, fraction),
                            Ntg(runs)?.Mean);
                        if (control?.StopRequested == true)
                        {
                            stopped = true;
                            break;
                        }
                        continue;
                    }
                    var plan = isTransfer ? transferPlan : scratchPlan;
                    var settings = (isTransfer ? transferSettings : scratchSettings) with { Seed = seed };
                    using var model = TransferPlan.Build(modelSpec, plan, isTransfer ? source.Model : null, seed);
                    model.to(device);
                    double? headFirst = null;
                    if (isTransfer && dials.HeadFirst)
                        headFirst = TrainHeadOnFeatures(model, splits, evalTransform, device, cancellationToken);

                    long before = stepsDone;
                    var overall = new InlineProgress<TrainingProgress>(p => progress?.Report(new TrainingUpdate(p,
                        (before + p.Step) / (double)totalSteps, Eta(clock.Elapsed.TotalSeconds, (before + p.Step) / (double)totalSteps))));
                    var armTransform = isTransfer ? transform : scratchTransform;
                    var training = Trainer.Run(model, TransferPlan.Groups(model, plan), splits, armTransform, settings, device,
                        new RunLabel(arm, seed, "fine-tune"), overall, control, cancellationToken);
                    stepsDone += settings.TotalSteps(isTransfer ? batchesPerEpoch : scratchBatchesPerEpoch);
                    var test = Evaluation.Run(model, splits.Test, Evaluating(armTransform), device);
                    var run = ToSeedRun(seed, training, test, splits.Test, headFirst);
                    runs[arm].Add(run);
                    if (!isTransfer && !training.StoppedByUser)
                        reuse.Keep(seed, run);
                    if (isTransfer && training.BestValAccuracy > bestVal)
                    {
                        bestVal = training.BestValAccuracy;
                        bestSeed = seed;
                        DisposeAll(bestWeights);
                        bestWeights = Trainer.Snapshot(model);
                    }
                    double? ntgSoFar = runs[ScratchArm].Count > 0 ? Ntg(runs)?.Mean : null;
                    progress?.Report(new RunFinished(arm, seed, test.Accuracy, training.BestValAccuracy, training.BestEpoch,
                        training.Seconds, ntgSoFar));
                    if (training.StoppedByUser || control?.StopRequested == true)
                    {
                        stopped = true;
                        break;
                    }
                }
                if (stopped)
                    break;
            }

            var transferSettingsRecord = Describe(transferSettings, transferPlan, dials, transform, modelSpec, batchesPerEpoch, dials.HeadFirst);
            var scratchSettingsRecord = Describe(scratchSettings, scratchPlan, dials, scratchTransform, modelSpec, scratchBatchesPerEpoch, false) with { BssEta = 0 };
            var arms = new List<ArmResult>
            {
                new(TransferArm, transferSettingsRecord, Summary.Of(runs[TransferArm].Select(r => r.TestAccuracy).ToArray()), runs[TransferArm]),
            };
            if (runs[ScratchArm].Count > 0)
                arms.Add(new ArmResult(ScratchArm, scratchSettingsRecord, Summary.Of(runs[ScratchArm].Select(r => r.TestAccuracy).ToArray()), runs[ScratchArm]));
            else
                warnings.Add("Stopped before the random-init arm ran: no gap can be computed.");

            string? checkpoint = null;
            if (spec.CheckpointPath is not null && bestWeights is not null)
            {
                var transferRun = runs[TransferArm].First(r => r.Seed == bestSeed);
                SaveCheckpoint(spec, modelSpec, bestWeights, source, target, transferRun, name, deviceName, clock.Elapsed.TotalSeconds, transferSettingsRecord);
                checkpoint = spec.CheckpointPath;
            }
            return new ExperimentResult(name, target, sourceSummary, spec.Preset, deviceName, clock.Elapsed.TotalSeconds, seeds[..runs[TransferArm].Count],
                arms, Ntg(runs), probe, warnings, checkpoint, stopped, recommendation, analysis, inputSize);
        }
        finally
        {
            DisposeAll(bestWeights);
        }
    }

    /// <summary>The target loaded at the experiment's input size, its summary, and the spec with its preset's dials filled in.</summary>
    private sealed record Prepared(LoadedDataset Dataset, IReadOnlyList<int> Classes, int FirstSeed, int? PerClass, TargetSummary Target,
        List<string> Warnings, ExperimentSpec Spec, Recommendation? Recommendation, AnalysisResult? Analysis, InputSizeChoice InputSize)
    {
        public SplitOptions SplitFor(int seed) => new(Classes, PerClass, Seed: seed, HoldoutSeed: FirstSeed);
    }

    /// <summary>
    /// Loads the target at the input size the spec's dials give (tiles are cached at that size), checks its classes, resolves
    /// the preset, and loads it again in the rare case the resolved dials ask for another size than the preset's base dials did.
    /// </summary>
    private static Prepared Prepare(ExperimentSpec spec, CheckpointInfo info, bool gpu, IProgress<ExperimentEvent>? progress, DatasetFileOptions? files,
        CancellationToken cancellationToken)
    {
        (int, int)? targetImage = null;
        bool measured = false;
        InputSizeChoice SizeFor(TransferDials d)
        {
            // Only BiT's rule looks at the target's images (a folder's headers are read once).
            if (d.InputSize is null && d.InputSizeRule == InputSizeRule.Bit && !measured)
                (targetImage, measured) = (InputSizes.TargetImageSize(spec.Target), true);
            return InputSizes.Choose(d, info.InputSize, info.Architecture, gpu, targetImage);
        }
        var loadedAt = SizeFor(ProvisionalDials(spec));
        var dataset = DatasetLoader.LoadTarget(spec.Target, loadedAt.Size, files, cancellationToken);
        try
        {
            var classes = dataset.ResolveClasses(spec.TargetClasses);
            var warnings = new List<string>();
            TargetSummary target;
            using (var first = Splits.Make(dataset, new SplitOptions(classes, spec.PerClass, Seed: spec.FirstSeed, HoldoutSeed: spec.FirstSeed)))
            {
                var counts = first.Train.ClassCounts();
                for (int c = 0; c < counts.Length; c++)
                {
                    if (counts[c] < MinPerClass)
                        throw new BadInputException(
                            $"Class '{first.ClassNames[c]}' has {counts[c]} training image(s); at least {MinPerClass} per class are needed.");
                }
                var small = first.ClassNames.Where((_, c) => counts[c] < WarnPerClass).ToList();
                if (small.Count > 0)
                    warnings.Add($"{small.Count} class(es) have fewer than {WarnPerClass} training images (e.g. '{small[0]}': {counts[first.ClassNames.ToList().IndexOf(small[0])]}); expect a wide interval.");
                if (first.Test.Count < 10 * first.ClassNames.Count)
                    warnings.Add($"The test split has only {first.Test.Count} images; accuracies move in steps of {100.0 / Math.Max(1, first.Test.Count):F1} points.");
                target = new TargetSummary(dataset.Entry?.Id ?? dataset.Name, first.ClassNames, spec.PerClass, first.Train.Count, first.Val.Count,
                    first.Test.Count, counts);
            }
            warnings.AddRange(dataset.Problems.Take(5).Select(p => $"Skipped {p.Path}: {p.Reason}"));
            var (resolved, recommendation, analysis) = ResolvePreset(spec, target.TrainSize, loadedAt.Size, progress, files, cancellationToken);
            var inputSize = SizeFor(resolved.Dials);
            if (inputSize.Size != loadedAt.Size)
            {
                dataset.Dispose();
                dataset = DatasetLoader.LoadTarget(spec.Target, inputSize.Size, files, cancellationToken);
            }
            return new Prepared(dataset, classes, spec.FirstSeed, spec.PerClass, target, warnings, resolved, recommendation, analysis, inputSize);
        }
        catch
        {
            dataset.Dispose();
            throw;
        }
    }

    /// <summary>The dials as far as they are known before the target is loaded: the spec's own, or its preset's base dials with the overrides.</summary>
    private static TransferDials ProvisionalDials(ExperimentSpec spec)
    {
        if (!spec.DialsFromPreset)
            return spec.Dials;
        var preset = spec.Preset!.Equals(ExperimentSpec.AutoPreset, StringComparison.OrdinalIgnoreCase) ? null : Presets.Get(spec.Preset);
        var provisional = spec with { Transfer = preset?.DialsFor(0) ?? new TransferDials(), Preset = null, Overrides = null };
        foreach (var (name, value) in spec.Overrides ?? new Dictionary<string, string>())
            provisional = DialNames.With(provisional, name, value);
        return provisional.Dials;
    }

    /// <summary>
    /// Fills in the transfer dials from the spec's preset for a training set of <paramref name="trainSize"/> images ("auto": analyse,
    /// then recommend), then applies the spec's overrides. The returned spec records the preset as "id@version".
    /// </summary>
    private static (ExperimentSpec Spec, Recommendation? Recommendation, AnalysisResult? Analysis) ResolvePreset(ExperimentSpec spec, int trainSize,
        int inputSize, IProgress<ExperimentEvent>? progress, DatasetFileOptions? files, CancellationToken cancellationToken)
    {
        Recommendation? recommendation = null;
        AnalysisResult? analysis = null;
        if (spec.DialsFromPreset)
        {
            Preset preset;
            TransferDials dials;
            if (spec.Preset!.Equals(ExperimentSpec.AutoPreset, StringComparison.OrdinalIgnoreCase))
            {
                analysis = Analysis.Run(new AnalysisSpec(spec.Target, spec.Source, spec.TargetClasses, spec.PerClass, spec.FirstSeed, Device: spec.Device,
                        InputSize: inputSize),
                    files: files, cancellationToken: cancellationToken);
                recommendation = Recommender.Recommend(analysis);
                preset = Presets.Get(recommendation.Preset);
                dials = recommendation.Dials;
            }
            else
            {
                preset = Presets.Get(spec.Preset);
                dials = preset.DialsFor(trainSize);
            }
            var tag = recommendation is null ? preset.Tag : $"auto: {preset.Tag}";
            spec = spec with { Transfer = dials, Preset = tag };
            foreach (var (name, value) in spec.Overrides ?? new Dictionary<string, string>())
                spec = DialNames.With(spec, name, value);
            progress?.Report(new PresetChosen(tag, spec.Dials, recommendation, analysis));
        }
        else
        {
            foreach (var (name, value) in spec.Overrides ?? new Dictionary<string, string>())
                spec = DialNames.With(spec, name, value);
        }
        var errors = spec.Validate();
        if (errors.Count > 0)
            throw new BadInputException("Invalid experiment: " + string.Join(" ", errors));
        return (spec, recommendation, analysis);
    }

    /// <summary>
    /// The head fit of <see cref="TransferDials.HeadFirst"/> is paid from the update budget: its pass over the training set (frozen
    /// features for every image) counts as one epoch of updates, so the fine-tune that follows gets that many fewer (at least one).
    /// One forward pass costs about a third of an update, so the count is conservative; the closed-form fit on cached features is
    /// negligible beside it. Without this the head-first preset would train longer than the scratch arm it is compared with.
    /// </summary>
    private static TrainerSettings CountHeadFit(TrainerSettings settings, TransferDials dials, int batchesPerEpoch) =>
        dials.HeadFirst ? settings with { Steps = Math.Max(1, settings.TotalSteps(batchesPerEpoch) - batchesPerEpoch) } : settings;

    private static int BatchesPerEpoch(int trainSize, int batchSize)
    {
        // Mirrors the trainer's loader: drop the last partial batch once there are at least two full ones.
        bool dropLast = trainSize >= 2 * batchSize;
        return Math.Max(1, dropLast ? trainSize / batchSize : (trainSize + batchSize - 1) / batchSize);
    }

    private static double? Eta(double elapsed, double fraction) => fraction > 0.01 ? elapsed / fraction * (1 - fraction) : null;

    /// <summary>NTG per paired seed (both arms finished): acc(scratch) − acc(transfer) = err(transfer) − err(scratch).</summary>
    private static NtgSummary? Ntg(Dictionary<string, List<SeedRun>> runs)
    {
        var pairs = runs[TransferArm].Join(runs[ScratchArm], t => t.Seed, s => s.Seed, (t, s) => s.TestAccuracy - t.TestAccuracy).ToArray();
        return pairs.Length == 0 ? null : NtgSummary.From(pairs);
    }

    private static ProbeResult RunProbe(BlockModel source, DataSplits splits, ImageTransform transform, Device device, int? headStage,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        int stage = headStage ?? source.Stages;
        using var train = LinearProbe.Features(source, splits.Train, transform, device, stage, cancellationToken);
        using var val = LinearProbe.Features(source, splits.Val, transform, device, stage, cancellationToken);
        using var test = LinearProbe.Features(source, splits.Test, transform, device, stage, cancellationToken);
        var (fit, valAccuracy, _) = LinearProbe.FitSelected(train, splits.Train.Labels, val, splits.Val.Labels, splits.ClassNames.Count);
        return new ProbeResult(stage, fit.Width, valAccuracy, fit.Accuracy(test, splits.Test.Labels), clock.Elapsed.TotalSeconds);
    }

    /// <summary>fastai-style first stage: fit the new head on cached frozen features; returns its validation accuracy.</summary>
    private static double TrainHeadOnFeatures(BlockModel model, DataSplits splits, ImageTransform transform, Device device, CancellationToken cancellationToken)
    {
        using var train = LinearProbe.Features(model, splits.Train, transform, device, cancellationToken: cancellationToken);
        using var val = LinearProbe.Features(model, splits.Val, transform, device, cancellationToken: cancellationToken);
        // A deliberately soft head (strong L2): a head that already fits the few training images perfectly leaves
        // fine-tuning no gradient to follow (measured here: l2 1e-3 lost 8 points, 0.1 matched plain fine-tuning).
        var fit = LinearProbe.Fit(train, splits.Train.Labels, splits.ClassNames.Count, l2: 0.1);
        using (var weight = torch.tensor(fit.Weight, [fit.Classes, fit.Width]))
        using (var bias = torch.tensor(fit.Bias))
            model.ReplaceHead(weight, bias);
        return fit.Accuracy(val, splits.Val.Labels);
    }

    private static SeedRun ToSeedRun(int seed, TrainingResult training, Evaluation test, LabeledImages testSet, double? headFirst)
    {
        var cells = test.Cells.ToDictionary(kv => kv.Key, kv => kv.Value.Take(MaxItemsPerCell).Select(i => testSet.ItemIds[i]).ToArray());
        return new SeedRun(seed, test.Accuracy, test.Loss, training.BestValAccuracy, training.BestEpoch, training.Curve, test.PerClassAccuracy,
            test.Confusion, cells, training.Seconds, training.ImagesPerSecond, training.LoaderWaitFraction, training.StoppedByUser,
            training.EarlyStopped, headFirst);
    }

    private static ArmSettings Describe(TrainerSettings s, IReadOnlyList<BlockPlan> plan, TransferDials d, ImageTransform transform, ModelSpec spec,
        int batchesPerEpoch, bool headFirst)
    {
        int total = s.TotalSteps(batchesPerEpoch);
        var schedule = s.Schedule ?? new Schedule();
        var augmentation = transform.Augment.Crop == CropAugment.None && !transform.Augment.Flip ? "off"
            : $"{transform.Augment.Crop.ToString().ToLowerInvariant()}{(transform.Augment.Flip ? "+flip" : "")}";
        return new ArmSettings(s.Optimizer.ToString(), s.Momentum, s.Nesterov, schedule.Kind.ToString().ToLowerInvariant(), schedule.WarmupSteps,
            schedule.DecaySpeed, s.TotalEpochs(batchesPerEpoch), total, s.BatchSize, s.LabelSmoothing, s.MixupAlpha, s.BssEta, s.BssK, headFirst,
            augmentation, spec.InputSize, spec.InChannels, transform.Mean, transform.Std, spec.Architecture, spec.HeadStage, plan,
            schedule.MinFactor, schedule.Kind == ScheduleKind.Staircase ? schedule.Milestones ?? Schedule.DefaultMilestones : null, s.SampleWithReplacement);
    }

    private static void SaveCheckpoint(ExperimentSpec spec, ModelSpec modelSpec, Dictionary<string, Tensor> weights, LoadedCheckpoint loaded,
        TargetSummary target, SeedRun run, string name, string device, double seconds, ArmSettings settings)
    {
        var source = loaded.Info;
        using var model = Architectures.Create(modelSpec);
        Trainer.Restore(model, weights);
        var lineage = (source.Lineage ?? []).Append(new LineageStep(source.Name ?? source.Architecture, source.SourceDataset,
            source.Training?.Kind ?? "unknown", source.Created)).ToList();
        var info = new CheckpointInfo(modelSpec.Architecture, modelSpec.InputSize, modelSpec.InChannels, target.Classes, source.Mean, source.Std,
            modelSpec.HeadStage, $"{name} (fine-tuned, seed {run.Seed})", target.Dataset, target.Classes,
            new TrainingRecord("fine-tune", run.Curve.Count, settings.TotalSteps, run.Seed, device, seconds, new Dictionary<string, string>
            {
                ["source"] = Path.GetFileName(spec.Source),
                ["preset"] = spec.Preset ?? "custom",
                ["optimizer"] = settings.Optimizer,
                ["schedule"] = settings.Schedule,
                ["perClass"] = spec.PerClass?.ToString() ?? "all",
                ["blocks"] = string.Join(", ", settings.Blocks.Select(b => $"{b.Block}:{(b.Transferred ? "T" : "new")}{(b.Frozen ? "/frozen" : $"@{b.LearningRate:g3}")}")),
            }),
            run.TestAccuracy, DateTimeOffset.UtcNow, lineage, source.Encoding);
        // The fine-tuned model still expects its source's input encoding, mean image included.
        Checkpoint.Save(spec.CheckpointPath!, model, info, loaded.MeanImage);
    }

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null)
            return;
        foreach (var tensor in tensors.Values)
            tensor.Dispose();
    }
}
