using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using WebLab.Data;
using WebLab.Models;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Tests.Transfer;

/// <summary>
/// Each preset moves its dials in the direction the field guide gives for its region ("3. Best practice per quadrant",
/// "4. Regularisers (formulas)", "6. Schedules"), checked against the other presets and in absolute terms; bit-hyperrule
/// reproduces BiT's published code.
/// </summary>
public class PresetDirectionTests
{
    // A torchvision ResNet-18's blocks (stem, layer1..layer4, head): the shape an ImageNet source gives the presets.
    private static readonly IReadOnlyList<ModelBlock> s_blocks = BlocksOf(new ModelSpec("resnet18", 10, 3, 64));

    // Sizes inside each preset's small band and each of BiT's three bands.
    private static readonly int[] s_sizes = [50, 500, 5_000, 19_999, 20_000, 100_000, 499_999, 500_000, 1_000_000];

    private static IReadOnlyList<ModelBlock> BlocksOf(ModelSpec spec)
    {
        using var model = Architectures.Create(spec);
        return model.Blocks;
    }

    private static TransferDials Dials(string id, int examples = 500) => Presets.Get(id).DialsFor(examples);

    private static IReadOnlyList<BlockPlan> Plan(string id, int examples = 500) => TransferPlan.ForTransfer(s_blocks, false, Dials(id, examples));

    private static double Rate(string id, string block) => Plan(id).Single(p => p.Block == block).LearningRate;

    private static Schedule ScheduleOf(TransferDials dials, int batchesPerEpoch = 10) => dials.TrainerSettings(0, batchesPerEpoch, 0).Schedule!;

    // Every trained transferred block below the head trains slower than the head, and each block slower than the one above it.
    private static void HigherBlocksFaster(IReadOnlyList<BlockPlan> plan)
    {
        var head = plan[^1];
        var body = plan.Where(p => p.Transferred && !p.Frozen).ToList();
        Assert.NotEmpty(body);
        Assert.All(body, p => Assert.True(p.LearningRate < head.LearningRate, $"{p.Block} at {p.LearningRate} should train slower than the head at {head.LearningRate}"));
        Assert.All(body.Zip(body.Skip(1)), pair => Assert.True(pair.First.LearningRate < pair.Second.LearningRate,
            $"{pair.First.Block} ({pair.First.LearningRate}) should train slower than {pair.Second.Block} ({pair.Second.LearningRate})"));
    }

    // The schedule never runs an update after warmup at a rate of 0, over the whole budget.
    private static void NoUpdateAtZero(TransferDials dials)
    {
        var schedule = ScheduleOf(dials);
        int total = dials.Steps!.Value;
        Assert.All(Enumerable.Range(schedule.WarmupSteps, total - schedule.WarmupSteps), step => Assert.True(schedule.Factor(step, total) > 0));
    }

    [Fact]
    public void SmallSimilar_LowRateAndMomentum_QuickDecayToAFloor_L2SPOnEveryTransferredBlock()
    {
        var d = Dials("small-similar");
        // Lower rate and momentum than the dissimilar presets, at the head and at every transferred block.
        foreach (var other in new[] { "large-dissimilar", "small-dissimilar" })
        {
            Assert.True(d.HeadLearningRate < Dials(other).HeadLearningRate, other);
            Assert.True(d.Momentum < Dials(other).Momentum, other);
        }
        Assert.All(Plan("small-similar").Where(p => p.Transferred), p => Assert.True(p.LearningRate < Rate("large-dissimilar", p.Block), p.Block));
        Assert.True(d.Momentum < Dials("large-similar").Momentum);
        // Decay quickly, to a floor: no update runs at 0.
        Assert.Equal(ScheduleKind.Cosine, d.Schedule);
        Assert.True(d.DecaySpeed > 1);
        Assert.True(d.LearningRateFloor > 0);
        NoUpdateAtZero(d);
        // Fine-tune everything, the head fastest.
        Assert.Null(d.BlocksTransferred);
        Assert.Equal(0, d.FrozenBlocks);
        Assert.True(d.LayerDecay < 1);
        HigherBlocksFaster(Plan("small-similar"));
        // L2-SP (typical alpha 0.01-0.1) on every transferred block, beta 0.01 on the new head, and BSS.
        Assert.InRange(d.L2SPAlpha, 0.01, 0.1);
        Assert.Null(d.L2SPBlocks);
        Assert.Equal(0.01, d.HeadL2);
        Assert.True(d.BssEta > 0);
        Assert.All(Plan("small-similar").Where(p => p.Transferred), p => Assert.Equal("l2sp", p.Penalty));
        Assert.Equal(("l2", 0.01), (Plan("small-similar")[^1].Penalty, Plan("small-similar")[^1].Strength));
        // Budget in updates at every size.
        Assert.All(s_sizes, n => Assert.NotNull(Dials("small-similar", n).Steps));
    }

    [Fact]
    public void SmallDissimilar_FewerBlocks_HighRateAndMomentum_HigherBlocksFaster_L2SPOnlyOnTheLowerBlocks()
    {
        var d = Dials("small-dissimilar");
        var plan = Plan("small-dissimilar");
        // Transfer fewer blocks: the top stage starts from random and trains at the head's rate.
        Assert.True(d.BlocksTransferred < 0);
        Assert.Equal([true, true, true, true, false, false], plan.Select(p => p.Transferred));
        Assert.Equal(d.HeadLearningRate, plan.Single(p => p.Block == "layer4").LearningRate);
        // High initial rate and momentum.
        Assert.True(d.HeadLearningRate > Dials("small-similar").HeadLearningRate);
        Assert.True(d.Momentum > Dials("small-similar").Momentum);
        Assert.All(plan.Where(p => p.Transferred), p => Assert.True(p.LearningRate > Rate("small-similar", p.Block), p.Block));
        // Higher layers faster than lower ones, the new head fastest.
        Assert.True(d.LayerDecay < 1);
        HigherBlocksFaster(plan);
        // Decay quickly, to a floor.
        Assert.True(d.DecaySpeed > 1);
        Assert.True(d.LearningRateFloor > 0);
        NoUpdateAtZero(d);
        // L2-SP only on the lower transferred blocks, plain L2 above, beta 0.01 on the new head.
        Assert.NotNull(d.L2SPBlocks);
        Assert.True(d.L2SPBlocks < plan.Count(p => p.Transferred));
        Assert.Equal(["l2sp", "l2sp", "l2", "l2", "l2", "l2"], plan.Select(p => p.Penalty));
        Assert.Equal(0.01, plan[^1].Strength);
    }

    [Fact]
    public void LargeSimilar_FineTunesEverything_LowerRateThanLargeDissimilar_NormalDecay_LightRegularisation()
    {
        var d = Dials("large-similar");
        Assert.Null(d.BlocksTransferred);
        Assert.Equal(0, d.FrozenBlocks);
        Assert.True(d.HeadLearningRate < Dials("large-dissimilar").HeadLearningRate);
        Assert.True(d.Momentum < Dials("large-dissimilar").Momentum);
        Assert.All(Plan("large-similar").Where(p => p.Transferred), p => Assert.True(p.LearningRate < Rate("large-dissimilar", p.Block), p.Block));
        Assert.True(d.LayerDecay < 1);
        HigherBlocksFaster(Plan("large-similar"));
        Assert.Equal(1.0, d.DecaySpeed); // normal decay
        Assert.Equal(0, d.L2SPAlpha);
        Assert.InRange(d.BssEta, 0, 0.001);
        // More updates than the small presets at the same size.
        Assert.All(s_sizes, n => Assert.True(Dials("large-similar", n).Steps > Dials("small-similar", n).Steps));
    }

    [Fact]
    public void LargeDissimilar_HighRateAndMomentum_LateDecay_HigherBlocksFaster_NoPullTowardTheSource()
    {
        var d = Dials("large-dissimilar");
        Assert.Null(d.BlocksTransferred);
        Assert.Equal(0, d.FrozenBlocks);
        Assert.True(d.HeadLearningRate > Dials("large-similar").HeadLearningRate);
        Assert.True(d.Momentum > Dials("large-similar").Momentum);
        Assert.True(d.LayerDecay < 1);
        HigherBlocksFaster(Plan("large-dissimilar"));
        // Train longer before decaying: the cosine is still part-way down at the last update.
        Assert.True(d.DecaySpeed < 1);
        Assert.True(ScheduleOf(d).Factor(d.Steps!.Value - 1, d.Steps!.Value) > 0.1);
        // No L2-SP, DELTA-like pull or BSS: let the weights move.
        Assert.Equal(0, d.L2SPAlpha);
        Assert.Equal(0, d.BssEta);
        Assert.DoesNotContain(Plan("large-dissimilar"), p => p.Penalty == "l2sp");
    }

    [Fact]
    public void LinearProbe_FreezesEveryTransferredBlock_AndTrainsOnlyTheHead()
    {
        var plan = Plan("linear-probe");
        Assert.True(Dials("linear-probe").LinearProbe);
        Assert.All(plan.Take(plan.Count - 1), p => Assert.Equal((true, true, 0.0), (p.Transferred, p.Frozen, p.LearningRate)));
        Assert.Equal((false, false), (plan[^1].Transferred, plan[^1].Frozen));
        Assert.True(plan[^1].LearningRate > 0);
    }

    [Fact]
    public void HeadThenAll_FitsTheHeadFirst_ThenDiscriminativeRates()
    {
        var d = Dials("head-then-all");
        Assert.True(d.HeadFirst);
        Assert.True(d.LayerDecay < 1);
        HigherBlocksFaster(Plan("head-then-all"));
    }

    [Fact]
    public void EveryRegionFineTuningPreset_TrainsTheHeadAboveTheBody_WhileTheTwoSourceRecipesUseOneRate()
    {
        // The new head always needs a higher rate than transferred weights ("3. Best practice per quadrant").
        foreach (var preset in Presets.All.Where(p => p.Id is not ("linear-probe" or "bit-hyperrule" or "common-practice")))
        {
            Assert.True(preset.DialsFor(500).LayerDecay < 1, preset.Id);
            HigherBlocksFaster(Plan(preset.Id));
        }
        // bit-hyperrule and common-practice reproduce recipes that train every layer at one rate (BiT's code; the ImageNet
        // habit the survey warns about): that is what they are kept to be compared for.
        Assert.Equal(1.0, Dials("bit-hyperrule").LayerDecay);
        Assert.Equal(1.0, Dials("common-practice").LayerDecay);
    }

    [Theory]
    // BiT's bit_hyperrule.get_lr as factors of the base rate, at sample steps of each size band (supports 100/200/300/400/500,
    // 500/3000/6000/9000/10000 and 500/6000/12000/18000/20000): warmup step / first support, then /10 after each later one.
    [InlineData(19_999, 500, new[] { 0, 1, 50, 99, 100, 200, 201, 300, 301, 400, 401, 499 },
        new[] { 0, 0.01, 0.5, 0.99, 1, 1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001 })]
    [InlineData(20_000, 10_000, new[] { 0, 250, 499, 500, 3_000, 3_001, 6_000, 6_001, 9_000, 9_001, 9_999 },
        new[] { 0, 0.5, 0.998, 1, 1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001 })]
    [InlineData(500_000, 20_000, new[] { 0, 250, 500, 6_000, 6_001, 12_000, 12_001, 18_000, 18_001, 19_999 },
        new[] { 0, 0.5, 1, 1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001 })]
    public void BitHyperRule_ScheduleFactors_EqualBiTsCode(int examples, int steps, int[] at, double[] factors)
    {
        var d = Dials("bit-hyperrule", examples);
        Assert.Equal(steps, d.Steps);
        Assert.Equal(ScheduleKind.Staircase, d.Schedule);
        // Any batches per epoch: the budget is in updates.
        foreach (int batchesPerEpoch in new[] { 1, 97 })
        {
            var schedule = ScheduleOf(d, batchesPerEpoch);
            Assert.Equal(factors, at.Select(step => Math.Round(schedule.Factor(step, steps), 12)));
        }
    }

    [Fact]
    public void BitHyperRule_FollowsBiTsCode_OptimiserHeadSamplingAndMixup()
    {
        foreach (var n in s_sizes)
        {
            var d = Dials("bit-hyperrule", n);
            Assert.Equal((OptimizerKind.Sgd, 0.9, false, 512), (d.Optimizer, d.Momentum, d.Nesterov, d.BatchSize));
            // One base rate 0.003 for every block; no weight decay anywhere ("Note: no weight-decay!" in BiT's train.py).
            Assert.All(TransferPlan.ForTransfer(s_blocks, false, d), p => Assert.Equal((0.003, "none"), (p.LearningRate, p.Penalty)));
            Assert.Equal((0.0, 0.0, 0.0), (d.L2, d.L2SPAlpha, d.BssEta));
            Assert.True(d.ZeroHead);
            Assert.True(d.SampleWithReplacement);
            Assert.True(d.TrainerSettings(0, 1, 0).SampleWithReplacement);
            Assert.Equal(InputSizeRule.Bit, d.InputSizeRule);
            // Resize to 160 (512), random crop of 128 (480), flip; evaluation resizes the whole image (train.py's transforms).
            Assert.Equal(CropAugment.Precrop, d.Crop);
            // Mixup 0.1 from 20k training examples (get_mixup: 0 below 20 000).
            Assert.Equal(n < 20_000 ? 0.0 : 0.1, d.MixupAlpha);
        }
        Assert.True(TransferPlan.ForTransfer(s_blocks, false, Dials("bit-hyperrule"))[^1].ZeroInit);
    }

    [Fact]
    public void ChangedPresets_CarryANewVersion()
    {
        foreach (var (id, version) in new[] { ("small-similar", 3), ("small-dissimilar", 3), ("large-dissimilar", 3), ("bit-hyperrule", 4) })
            Assert.True(Presets.Get(id).Version >= version, $"{id} changed its dials: results must record a new id@version");
    }

    // Phrases a preset's words use for a dial, each followed by the value it claims ("momentum 0.8", "layer decay 0.5").
    private static readonly (Regex Pattern, string Dial)[] s_claims =
    [
        (Claim(@"head (?:trains at|at|learning rate|rate)"), "headLearningRate"),
        (Claim(@"base rate"), "headLearningRate"),
        (Claim(@"layer decay"), "layerDecay"),
        (Claim(@"momentum"), "momentum"),
        (Claim(@"decay speed"), "decaySpeed"),
        (Claim(@"floor"), "learningRateFloor"),
        (Claim(@"mixup \(?alpha"), "mixupAlpha"),
        (Claim(@"L2-SP \(?alpha"), "l2SPAlpha"),
        (Claim(@"beta"), "headL2"),
        (Claim(@"eta"), "bssEta"),
        (Claim(@"batch"), "batchSize"),
    ];

    private static Regex Claim(string phrase) =>
        new(@"\b" + phrase + @",? (\d+(?:\.\d+)?)(?![\d.]*\s*(?:px|x\b|%))", RegexOptions.IgnoreCase);

    // "a head rate 2x the body's": one ratio between the head and the whole body.
    private static readonly Regex s_bodyRatio = new(@"(\d+(?:\.\d+)?)x the body", RegexOptions.IgnoreCase);

    // The body blocks whose rate differs from the head's divided by a claimed ratio (none when the claim holds).
    private static IEnumerable<string> BodyRatioContradictions(Preset preset, string text)
    {
        var plan = TransferPlan.ForTransfer(s_blocks, false, preset.DialsFor(500));
        foreach (Match m in s_bodyRatio.Matches(text))
        {
            double ratio = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            foreach (var block in plan.Where(p => p.Transferred && !p.Frozen && Math.Abs(p.LearningRate * ratio - plan[^1].LearningRate) > 1e-12))
                yield return $"{preset.Id} says \"{m.Value}\" but {block.Block} trains at {block.LearningRate:g3} under a head at {plan[^1].LearningRate:g3}";
        }
    }

    [Fact]
    public void PresetWords_StateOnlyNumbersTheirDialsHave()
    {
        foreach (var preset in Presets.All)
        {
            // Every value each dial takes at any size (base dials and every size band).
            var values = s_sizes.Select(n => JsonSerializer.SerializeToNode(preset.DialsFor(n), WebLabJson.Options)!.AsObject())
                .SelectMany(node => node.Where(kv => kv.Value?.GetValueKind() == JsonValueKind.Number))
                .ToLookup(kv => kv.Key, kv => kv.Value!.GetValue<double>(), StringComparer.OrdinalIgnoreCase);
            foreach (var text in new[] { preset.Summary, preset.Rationale })
            {
                Assert.Empty(BodyRatioContradictions(preset, text));
                foreach (var (pattern, dial) in s_claims)
                {
                    foreach (Match m in pattern.Matches(text))
                    {
                        double claimed = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                        Assert.True(values[dial].Contains(claimed),
                            $"{preset.Id} says \"{m.Value}\" but its {dial} is {string.Join(" or ", values[dial].Distinct())}");
                    }
                }
            }
        }
    }

    [Fact]
    public void PresetWords_Check_CatchesAContradiction()
    {
        var preset = Presets.Get("small-similar") with { Rationale = "Momentum 0.9 and layer decay 0.5." };
        var momentum = s_claims.Single(c => c.Dial == "momentum").Pattern.Match(preset.Rationale);
        Assert.Equal("0.9", momentum.Groups[1].Value);
        Assert.NotEqual(0.9, preset.DialsFor(500).Momentum);
        // The words small-similar had at version 2: one head-to-body ratio, where a layer decay of 0.5 gives each block its own.
        Assert.Contains(BodyRatioContradictions(preset, "a head rate 2x the body's, momentum 0.8"), e => e.Contains("stem trains at", StringComparison.Ordinal));
        // Sizes and ratios are not dial claims.
        Assert.DoesNotMatch(s_claims.Single(c => c.Dial == "batchSize").Pattern, "a batch 128 px wide");
    }
}
