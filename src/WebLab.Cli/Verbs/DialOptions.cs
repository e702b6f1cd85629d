using System.CommandLine;
using System.Globalization;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Cli.Verbs;

/// <summary>The transfer dials as command-line options (shared by experiment and sweep). Unset options keep the base value.</summary>
internal sealed class DialOptions
{
    private readonly Option<int?> _blocks = new("--blocks") { Description = "blocks transferred from the source, in depth order (stem = 1); the rest are re-initialised" };
    private readonly Option<int?> _freeze = new("--freeze") { Description = "freeze the first N blocks" };
    private readonly Option<bool> _linearProbe = new("--linear-probe") { Description = "freeze every transferred block; train only the head" };
    private readonly Option<int?> _headStage = new("--head-stage") { Description = "put the head on the features of stage N (earlier, more generic features)" };
    private readonly Option<double?> _headLr = new("--head-lr") { Description = "learning rate of the head and re-initialised blocks" };
    private readonly Option<double?> _layerDecay = new("--layer-decay") { Description = "per-depth LR multiplier below the head (e.g. 0.5: each block down trains at half the rate)" };
    private readonly Option<string?> _blockLrs = new("--block-lrs") { Description = "explicit LRs per block, e.g. stem=0.001,layer1=0.005,head=0.05" };
    private readonly Option<double?> _l2 = new("--l2") { Description = "L2 toward zero (beta)" };
    private readonly Option<double?> _headL2 = new("--head-l2") { Description = "L2 (beta) on a new head; default: --l2 (L2-SP's form: 0.01)" };
    private readonly Option<double?> _l2spAlpha = new("--l2sp-alpha") { Description = "L2-SP toward the pretrained weights (alpha); 0 = off" };
    private readonly Option<int?> _l2spBlocks = new("--l2sp-blocks") { Description = "L2-SP on the lower N transferred blocks only, L2 above (mixed form)" };
    private readonly Option<double?> _bssEta = new("--bss-eta") { Description = "batch spectral shrinkage strength (eta); 0 = off" };
    private readonly Option<int?> _bssK = new("--bss-k") { Description = "singular values BSS penalises" };
    private readonly Option<string?> _optimizer = new("--optimizer") { Description = "sgd or adamw" };
    private readonly Option<double?> _momentum = new("--momentum") { Description = "SGD momentum / AdamW beta1" };
    private readonly Option<bool> _noNesterov = new("--no-nesterov") { Description = "plain momentum instead of Nesterov" };
    private readonly Option<string?> _schedule = new("--schedule")
    {
        Description = "cosine, step (/10 at 30/60/90% of the decay), staircase (BiT's code: warmup from 0, then /10 after each milestone) or constant",
    };
    private readonly Option<double?> _warmup = new("--warmup") { Description = "fraction of the budget spent warming up" };
    private readonly Option<double?> _decaySpeed = new("--decay-speed") { Description = "2 = decay by half-way, 0.5 = decay late" };
    private readonly Option<double?> _lrFloor = new("--lr-floor") { Description = "lowest rate the schedule decays to, as a fraction of each block's rate (0 = down to 0)" };
    private readonly Option<string?> _milestones = new("--decay-milestones") { Description = "staircase milestones as fractions of the budget, e.g. 0.4,0.6,0.8" };
    private readonly Option<int?> _epochs = new("--epochs") { Description = "budget in epochs" };
    private readonly Option<int?> _steps = new("--steps") { Description = "budget in updates (overrides --epochs)" };
    private readonly Option<int?> _batch = new("--batch-size") { Description = "batch size" };
    private readonly Option<bool> _withReplacement = new("--with-replacement") { Description = "a training set smaller than a batch fills each batch by drawing with replacement (BiT)" };
    private readonly Option<double?> _labelSmoothing = new("--label-smoothing") { Description = "label smoothing" };
    private readonly Option<double?> _mixup = new("--mixup") { Description = "mixup alpha; 0 = off" };
    private readonly Option<bool> _headFirst = new("--head-first") { Description = "fit the head on frozen features first, then train everything" };
    private readonly Option<bool> _zeroHead = new("--zero-head") { Description = "start a new head at zero, weights and bias (BiT)" };
    private readonly Option<bool> _noAugment = new("--no-augment") { Description = "no crop/flip augmentation" };
    private readonly Option<string?> _crop = new("--crop")
    {
        Description = "the training crop: pad (random window of the zero-padded image), resized-crop (random box resized) or precrop (BiT: resize larger, random window); default: pad below 64 px, resized-crop above",
    };
    private readonly Option<int?> _patience = new("--patience") { Description = "early stopping after N epochs without a better val accuracy" };
    private readonly Option<int?> _inputSize = new("--input-size")
    {
        Description = "input size in px for both arms (16..1024; default: the rule - the source's size on a GPU, 128 px on a CPU, small sources unchanged)",
    };
    private readonly Option<string?> _inputSizeRule = new("--input-size-rule") { Description = "auto, source (always the source's size) or bit (BiT's resolution rule)" };
    private readonly Option<double?> _scratchLr = new("--scratch-lr") { Description = "learning rate of the random-init arm (default: --head-lr)" };
    private readonly Option<int?> _scratchEpochs = new("--scratch-epochs") { Description = "budget of the random-init arm in epochs (default: the same)" };
    private readonly Option<string[]> _set = new("--set") { Description = "any setting by name: --set l2spAlpha=0.01 (repeatable)", AllowMultipleArgumentsPerToken = false };

    public IEnumerable<Option> All =>
    [
        _blocks, _freeze, _linearProbe, _headStage, _headLr, _layerDecay, _blockLrs, _l2, _headL2, _l2spAlpha, _l2spBlocks, _bssEta, _bssK, _optimizer,
        _momentum, _noNesterov, _schedule, _warmup, _decaySpeed, _lrFloor, _milestones, _epochs, _steps, _batch, _withReplacement, _labelSmoothing,
        _mixup, _headFirst, _zeroHead, _noAugment, _crop, _patience, _inputSize, _inputSizeRule, _scratchLr, _scratchEpochs, _set,
    ];

    private IEnumerable<(Option Option, string Dial)> Named =>
    [
        (_blocks, "blocksTransferred"), (_freeze, "frozenBlocks"), (_linearProbe, "linearProbe"), (_headStage, "headStage"), (_headLr, "headLearningRate"),
        (_layerDecay, "layerDecay"), (_blockLrs, "blockLearningRates"), (_l2, "l2"), (_headL2, "headL2"), (_l2spAlpha, "l2SPAlpha"), (_l2spBlocks, "l2SPBlocks"),
        (_bssEta, "bssEta"), (_bssK, "bssK"), (_optimizer, "optimizer"), (_momentum, "momentum"), (_noNesterov, "nesterov"), (_schedule, "schedule"),
        (_warmup, "warmupFraction"), (_decaySpeed, "decaySpeed"), (_lrFloor, "learningRateFloor"), (_milestones, "decayMilestones"), (_epochs, "epochs"),
        (_steps, "steps"), (_batch, "batchSize"), (_withReplacement, "sampleWithReplacement"), (_labelSmoothing, "labelSmoothing"), (_mixup, "mixupAlpha"),
        (_headFirst, "headFirst"), (_zeroHead, "zeroHead"), (_noAugment, "augment"), (_crop, "crop"), (_patience, "patience"),
        (_inputSize, "inputSize"), (_inputSizeRule, "inputSizeRule"),
    ];

    /// <summary>
    /// Applies the options that were given to <paramref name="spec"/>. With a preset whose dials are resolved at run time,
    /// the given options become overrides on top of the preset.
    /// </summary>
    public ExperimentSpec Apply(ParseResult parse, ExperimentSpec spec)
    {
        if (spec.DialsFromPreset)
        {
            var explicitDials = Apply(parse, spec with { Preset = null }).Dials;
            var values = System.Text.Json.JsonSerializer.SerializeToNode(explicitDials, WebLabJson.Options)!.AsObject();
            // Only options on the command line: a switch not given still has an implicit result (false), which must not reset the preset's value.
            foreach (var (option, dial) in Named.Where(n => parse.GetResult(n.Option) is { Implicit: false }))
            {
                var value = values[dial];
                var text = value is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var str) ? str : value?.ToJsonString() ?? "null";
                spec = DialNames.With(spec, dial, text);
            }
            return spec with { Scratch = Apply(parse, spec with { Preset = null }).Scratch };
        }
        var d = spec.Dials;
        d = d with
        {
            BlocksTransferred = parse.GetValue(_blocks) ?? d.BlocksTransferred,
            FrozenBlocks = parse.GetValue(_freeze) ?? d.FrozenBlocks,
            LinearProbe = parse.GetValue(_linearProbe) || d.LinearProbe,
            HeadStage = parse.GetValue(_headStage) ?? d.HeadStage,
            HeadLearningRate = parse.GetValue(_headLr) ?? d.HeadLearningRate,
            LayerDecay = parse.GetValue(_layerDecay) ?? d.LayerDecay,
            BlockLearningRates = parse.GetValue(_blockLrs) is { } lrs ? BlockRates(lrs) : d.BlockLearningRates,
            L2 = parse.GetValue(_l2) ?? d.L2,
            HeadL2 = parse.GetValue(_headL2) ?? d.HeadL2,
            L2SPAlpha = parse.GetValue(_l2spAlpha) ?? d.L2SPAlpha,
            L2SPBlocks = parse.GetValue(_l2spBlocks) ?? d.L2SPBlocks,
            BssEta = parse.GetValue(_bssEta) ?? d.BssEta,
            BssK = parse.GetValue(_bssK) ?? d.BssK,
            Optimizer = parse.GetValue(_optimizer) is { } o ? Enum<OptimizerKind>(o, "--optimizer") : d.Optimizer,
            Momentum = parse.GetValue(_momentum) ?? d.Momentum,
            Nesterov = !parse.GetValue(_noNesterov) && d.Nesterov,
            Schedule = parse.GetValue(_schedule) is { } s ? Enum<ScheduleKind>(s, "--schedule") : d.Schedule,
            WarmupFraction = parse.GetValue(_warmup) ?? d.WarmupFraction,
            DecaySpeed = parse.GetValue(_decaySpeed) ?? d.DecaySpeed,
            LearningRateFloor = parse.GetValue(_lrFloor) ?? d.LearningRateFloor,
            DecayMilestones = parse.GetValue(_milestones) is { } milestones ? Fractions(milestones) : d.DecayMilestones,
            Epochs = parse.GetValue(_epochs) ?? d.Epochs,
            Steps = parse.GetValue(_steps) ?? d.Steps,
            BatchSize = parse.GetValue(_batch) ?? d.BatchSize,
            SampleWithReplacement = parse.GetValue(_withReplacement) || d.SampleWithReplacement,
            LabelSmoothing = parse.GetValue(_labelSmoothing) ?? d.LabelSmoothing,
            MixupAlpha = parse.GetValue(_mixup) ?? d.MixupAlpha,
            HeadFirst = parse.GetValue(_headFirst) || d.HeadFirst,
            ZeroHead = parse.GetValue(_zeroHead) || d.ZeroHead,
            Augment = !parse.GetValue(_noAugment) && d.Augment,
            Crop = parse.GetValue(_crop) is { } crop ? Enum<Data.CropAugment>(crop, "--crop") : d.Crop,
            Patience = parse.GetValue(_patience) ?? d.Patience,
            InputSize = parse.GetValue(_inputSize) ?? d.InputSize,
            InputSizeRule = parse.GetValue(_inputSizeRule) is { } rule ? Enum<InputSizeRule>(rule, "--input-size-rule") : d.InputSizeRule,
        };
        var scratch = spec.ScratchArm with
        {
            LearningRate = parse.GetValue(_scratchLr) ?? spec.ScratchArm.LearningRate,
            Epochs = parse.GetValue(_scratchEpochs) ?? spec.ScratchArm.Epochs,
        };
        spec = spec with { Transfer = d, Scratch = scratch };
        foreach (var assignment in parse.GetValue(_set) ?? [])
        {
            int eq = assignment.IndexOf('=');
            if (eq <= 0)
                throw new BadInputException($"--set expects name=value (got '{assignment}').");
            spec = DialNames.With(spec, assignment[..eq], assignment[(eq + 1)..]);
        }
        return spec;
    }

    private static Dictionary<string, double> BlockRates(string list)
    {
        var rates = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split('=');
            if (pieces.Length != 2 || !double.TryParse(pieces[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var rate))
                throw new BadInputException($"--block-lrs expects block=rate pairs like stem=0.001,head=0.05 (got '{part}').");
            rates[pieces[0]] = rate;
        }
        return rates;
    }

    private static double[] Fractions(string list) =>
        [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part =>
            double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new BadInputException($"--decay-milestones expects fractions of the budget like 0.4,0.6,0.8 (got '{part}')."))];

    private static T Enum<T>(string value, string option) where T : struct, Enum =>
        System.Enum.TryParse<T>(value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var parsed)
            ? parsed
            : throw new BadInputException($"{option} must be one of {string.Join(", ", System.Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))} (got '{value}').");
}
