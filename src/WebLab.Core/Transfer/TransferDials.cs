using WebLab.Data;
using WebLab.Training;

namespace WebLab.Transfer;

/// <summary>
/// Every dial of a transfer strategy (field guide sections 3, 4 and 6; the "non-binary" view: dials, not switches).
/// Blocks count in depth order: the stem is block 1, then the stages; the head is always new when classes differ.
/// </summary>
/// <param name="BlocksTransferred">Blocks copied from the source (0 = none; null = every block but a new head; -k = all but the top k body blocks); the rest are re-initialised.</param>
/// <param name="FrozenBlocks">The first k blocks are frozen (no updates, BatchNorm statistics held).</param>
/// <param name="LinearProbe">Freeze every transferred block: only the head trains (CS231n "small and similar").</param>
/// <param name="HeadStage">Put the head on the features of this stage (1..n) instead of the last (CS231n "small and different").</param>
/// <param name="HeadLearningRate">Learning rate of the head (and of re-initialised blocks).</param>
/// <param name="LayerDecay">Per-depth multiplier for transferred blocks: a block d levels below the head trains at HeadLearningRate x LayerDecay^d.</param>
/// <param name="BlockLearningRates">Explicit learning rates by block name (stem, layer1, ..., head); overrides the two above for those blocks.</param>
/// <param name="L2">beta of (beta/2)||w||^2 on every trained weight not under L2-SP (decay toward zero).</param>
/// <param name="HeadL2">
/// beta of (beta/2)||w||^2 on a new head (null = <paramref name="L2"/>). L2-SP's form pairs alpha on the transferred weights
/// with beta on the new head (typical 0.01, "4. Regularisers (formulas)"): a head that starts from nothing has no pretrained
/// values to be pulled toward, so plain L2 keeps it from growing large on a few examples. A transferred head (same classes)
/// is not new and keeps the transferred blocks' penalty.
/// </param>
/// <param name="L2SPAlpha">alpha of (alpha/2)||w - w0||^2 toward the pretrained weights (0 = off).</param>
/// <param name="L2SPBlocks">L2-SP on the lower k transferred blocks only, L2 above (the mixed form); null = every transferred block.</param>
/// <param name="BssEta">Batch spectral shrinkage strength (0 = off).</param>
/// <param name="BssK">How many of the smallest singular values BSS penalises.</param>
/// <param name="Optimizer">SGD (with momentum) or AdamW.</param>
/// <param name="Momentum">SGD momentum, or AdamW beta1.</param>
/// <param name="Nesterov">Nesterov momentum (SGD).</param>
/// <param name="Schedule">Learning-rate schedule shape.</param>
/// <param name="WarmupFraction">Fraction of the budget spent warming up linearly.</param>
/// <param name="DecaySpeed">1 = decay over the whole budget; 2 = finish by half-way (decay quickly); 0.5 = decay late.</param>
/// <param name="LearningRateFloor">
/// The lowest the schedule decays to, as a fraction of each block's base rate (0 = down to 0). A cosine with
/// <paramref name="DecaySpeed"/> above 1 reaches its end before the budget does; without a floor the remaining updates run at a
/// rate of 0 and change nothing. Step and staircase schedules never go below it either; warmup still starts from 0.
/// </param>
/// <param name="DecayMilestones">
/// Where the staircase schedule divides the rate by 10, as fractions of the whole budget, ascending in (0, 1) (null = 0.3, 0.6,
/// 0.9). BiT's code places them by target size (bit_hyperrule.get_schedule), so its preset sets them per size band.
/// Other schedules ignore them.
/// </param>
/// <param name="Epochs">Budget in passes over the training set (ignored when <paramref name="Steps"/> is set).</param>
/// <param name="Steps">Budget in optimiser updates (the survey's advice: count updates, not epochs).</param>
/// <param name="BatchSize">Images per update.</param>
/// <param name="SampleWithReplacement">
/// When the training set has fewer images than a batch, draw each batch's images at random with replacement so every
/// update sees a full batch, as BiT's PyTorch loader does for few-shot targets (a RandomSampler with replacement);
/// otherwise such a set fills one short batch per epoch. Sets at least a batch large are shuffled without replacement either way.
/// </param>
/// <param name="LabelSmoothing">Label smoothing of the cross-entropy.</param>
/// <param name="MixupAlpha">Mixup Beta(alpha, alpha) (0 = off; helps mid-size targets, not small ones).</param>
/// <param name="HeadFirst">Train the new head on frozen (cached) features first, then everything (fastai's fine_tune).</param>
/// <param name="ZeroHead">
/// Start a new head at zero (weights and bias), as BiT does: every class starts at the same logit, and the body's first
/// gradient through a zero head is zero, so no random head sends noise into the pretrained blocks. The head learns first
/// and the body follows. A transferred head is left as it is.
/// </param>
/// <param name="Augment">Train-time crop and flip.</param>
/// <param name="Crop">The crop style when <paramref name="Augment"/> is on (null: pad-and-crop below 64 px, random-resized crop above;
/// <see cref="CropAugment.Precrop"/> is BiT's resize-then-crop).</param>
/// <param name="Patience">Early stopping after this many epochs without a better validation accuracy (null = off).</param>
/// <param name="InputSize">
/// Square input size in pixels for both arms (16..1024; null = <paramref name="InputSizeRule"/>). Compute grows with pixels:
/// 224 px is (224/128)^2 = 3.1x the work of 128 px.
/// </param>
/// <param name="InputSizeRule">How the size is chosen when <paramref name="InputSize"/> is null (<see cref="InputSizes"/>).</param>
public sealed record TransferDials(
    int? BlocksTransferred = null,
    int FrozenBlocks = 0,
    bool LinearProbe = false,
    int? HeadStage = null,
    double HeadLearningRate = 0.05,
    double LayerDecay = 1.0,
    IReadOnlyDictionary<string, double>? BlockLearningRates = null,
    double L2 = 5e-4,
    double? HeadL2 = null,
    double L2SPAlpha = 0,
    int? L2SPBlocks = null,
    double BssEta = 0,
    int BssK = 1,
    OptimizerKind Optimizer = OptimizerKind.Sgd,
    double Momentum = 0.9,
    bool Nesterov = true,
    ScheduleKind Schedule = ScheduleKind.Cosine,
    double WarmupFraction = 0.0,
    double DecaySpeed = 1.0,
    double LearningRateFloor = 0,
    IReadOnlyList<double>? DecayMilestones = null,
    int Epochs = 30,
    int? Steps = null,
    int BatchSize = 32,
    bool SampleWithReplacement = false,
    double LabelSmoothing = 0,
    double MixupAlpha = 0,
    bool HeadFirst = false,
    bool ZeroHead = false,
    bool Augment = true,
    CropAugment? Crop = null,
    int? Patience = null,
    int? InputSize = null,
    InputSizeRule InputSizeRule = InputSizeRule.Auto)
{
    /// <summary>Checks ranges; each error names its dial.</summary>
    public IReadOnlyList<FieldError> Validate()
    {
        var errors = new List<FieldError>();
        void Check(bool ok, string dial, string message)
        {
            if (!ok)
                errors.Add(new FieldError(dial, message));
        }
        Check(FrozenBlocks >= 0, "frozenBlocks", "must be 0 or more.");
        Check(HeadStage is null or >= 1, "headStage", "must be 1 or more.");
        Check(HeadLearningRate > 0 && HeadLearningRate <= 10, "headLearningRate", "must be in (0, 10].");
        Check(LayerDecay > 0 && LayerDecay <= 10, "layerDecay", "must be in (0, 10].");
        Check(BlockLearningRates?.Values.All(v => v >= 0 && v <= 10) ?? true, "blockLearningRates", "must be in [0, 10].");
        Check(L2 >= 0 && L2 < 1, "l2", "must be in [0, 1).");
        Check(HeadL2 is null or (>= 0 and < 1), "headL2", "must be in [0, 1).");
        Check(L2SPAlpha >= 0 && L2SPAlpha < 10, "l2spAlpha", "must be in [0, 10).");
        Check(L2SPBlocks is null or >= 0, "l2spBlocks", "must be 0 or more.");
        Check(BssEta >= 0 && BssEta < 10, "bssEta", "must be in [0, 10).");
        Check(BssK >= 1, "bssK", "must be 1 or more.");
        Check(Momentum >= 0 && Momentum < 1, "momentum", "must be in [0, 1).");
        Check(WarmupFraction >= 0 && WarmupFraction < 1, "warmupFraction", "must be in [0, 1).");
        Check(DecaySpeed > 0 && DecaySpeed <= 10, "decaySpeed", "must be in (0, 10].");
        Check(LearningRateFloor >= 0 && LearningRateFloor < 1, "learningRateFloor", "must be in [0, 1) (a fraction of the base rate).");
        Check(DecayMilestones is null || DecayMilestones.All(m => m > 0 && m < 1) && DecayMilestones.Zip(DecayMilestones.Skip(1)).All(p => p.First < p.Second),
            "decayMilestones", "must be fractions of the budget in (0, 1), ascending.");
        Check(Epochs >= 1 && Epochs <= 10_000, "epochs", "must be in 1..10000.");
        Check(Steps is null or (>= 1 and <= 10_000_000), "steps", "must be in 1..10000000.");
        Check(BatchSize >= 1 && BatchSize <= 4096, "batchSize", "must be in 1..4096.");
        Check(LabelSmoothing >= 0 && LabelSmoothing < 1, "labelSmoothing", "must be in [0, 1).");
        Check(MixupAlpha >= 0 && MixupAlpha <= 10, "mixupAlpha", "must be in [0, 10].");
        Check(Patience is null or >= 1, "patience", "must be 1 or more.");
        Check(InputSize is null or (>= InputSizes.Min and <= InputSizes.Max), "inputSize",
            $"must be in {InputSizes.Min}..{InputSizes.Max} pixels (got {InputSize}); leave it empty for the {InputSizeRule.ToString().ToLowerInvariant()} rule.");
        Check(Enum.IsDefined(InputSizeRule), "inputSizeRule", "must be auto, source or bit.");
        Check(Crop is null || Enum.IsDefined(Crop.Value), "crop", "must be pad, resized-crop or precrop (or empty for the size's usual crop).");
        return errors;
    }

    /// <summary>Trainer settings for an arm with seed <paramref name="seed"/> on a training set of <paramref name="batchesPerEpoch"/> batches.</summary>
    internal TrainerSettings TrainerSettings(int seed, int batchesPerEpoch, double bssEta) => new(
        Optimizer, Momentum, Nesterov, Epochs, Steps, BatchSize,
        new Schedule(Schedule, (int)Math.Round(WarmupFraction * (Steps ?? Epochs * batchesPerEpoch)), DecaySpeed, LearningRateFloor, DecayMilestones),
        LabelSmoothing, MixupAlpha, BssK, bssEta, Patience, seed, SampleWithReplacement: SampleWithReplacement);

    /// <summary>The augmentation these dials ask for at an input size.</summary>
    internal Augmentation Augmentation(int inputSize, bool flip) => Augment ? Data.Augmentation.For(inputSize, flip, Crop) : Data.Augmentation.Off;
}

/// <summary>How the random-initialisation arm picks the settings its dials do not give.</summary>
public enum ScratchRecipe
{
    /// <summary>The transfer arm's optimiser, momentum, schedule, batch, L2, label smoothing and mixup (one paired recipe).</summary>
    Inherit,

    /// <summary>
    /// A from-scratch recipe of its own, whatever the transfer arm does: SGD with Nesterov momentum 0.9, batch 32, cosine to 1 % of
    /// the rate, no warmup, L2 5e-4, no label smoothing or mixup, the input size's usual crop. Independent of the preset, so one scratch run serves every
    /// preset on the same data (and is reused by content hash); what a tuned baseline compares against.
    /// </summary>
    Standard,
}

/// <summary>
/// The random-initialisation arm's own dials. It trains every block with one learning rate on the same data and input size as
/// the transfer arm; nothing is frozen and nothing pulls toward pretrained weights. The rest of its recipe is
/// the transfer arm's (<see cref="ScratchRecipe.Inherit"/>) or a fixed one of its own (<see cref="ScratchRecipe.Standard"/>).
/// </summary>
/// <param name="LearningRate">Its learning rate (null = 0.1 for SGD, 0.003 for AdamW: random initialisation wants a higher rate than fine-tuning; 0.1 was the best of 0.05/0.1/0.2 for the demo here).</param>
/// <param name="Epochs">Its budget in epochs (null = the transfer arm's).</param>
/// <param name="Steps">Its budget in updates (null = the transfer arm's).</param>
/// <param name="Recipe">Where the settings not named here come from.</param>
public sealed record ScratchDials(double? LearningRate = null, int? Epochs = null, int? Steps = null, ScratchRecipe Recipe = ScratchRecipe.Inherit)
{
    /// <summary>The standard recipe's fixed settings (see <see cref="ScratchRecipe.Standard"/>).</summary>
    public const int StandardBatchSize = 32;
    public const double StandardMomentum = 0.9, StandardL2 = 5e-4, StandardFloor = 0.01;

    /// <summary>The learning rate used with <paramref name="optimizer"/>.</summary>
    public double LearningRateFor(OptimizerKind optimizer) => LearningRate ?? (optimizer == OptimizerKind.AdamW ? 0.003 : 0.1);

    /// <summary>Its L2 (decay toward zero) on every weight.</summary>
    public double L2For(TransferDials transfer) => Recipe == ScratchRecipe.Standard ? StandardL2 : transfer.L2;

    /// <summary>Its batch size.</summary>
    public int BatchSizeFor(TransferDials transfer) => Recipe == ScratchRecipe.Standard ? StandardBatchSize : transfer.BatchSize;

    /// <summary>Its train-time augmentation: the transfer arm's, or under the standard recipe the input size's usual crop.</summary>
    internal Augmentation AugmentationFor(TransferDials transfer, int inputSize, bool flip) =>
        Recipe == ScratchRecipe.Standard ? Augmentation.For(inputSize, flip) : transfer.Augmentation(inputSize, flip);

    /// <summary>Trainer settings: the budget named here (else the transfer arm's), the rest by <see cref="Recipe"/>.</summary>
    internal TrainerSettings TrainerSettings(TransferDials transfer, int batchesPerEpoch)
    {
        var inherited = Recipe == ScratchRecipe.Standard
            ? new TrainerSettings(OptimizerKind.Sgd, StandardMomentum, true, transfer.Epochs, transfer.Steps, StandardBatchSize,
                new Schedule(ScheduleKind.Cosine, 0, 1.0, StandardFloor), EarlyStoppingPatience: transfer.Patience)
            : transfer.TrainerSettings(0, batchesPerEpoch, 0);
        return inherited with
        {
            Epochs = Epochs ?? transfer.Epochs,
            Steps = Steps ?? (Epochs is null ? transfer.Steps : null),
        };
    }
}
