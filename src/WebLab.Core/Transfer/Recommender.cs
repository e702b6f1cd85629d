using System.Globalization;

namespace WebLab.Transfer;

/// <summary>What the recommender chose, where it placed the pair, and why (each reason names its numbers).</summary>
/// <param name="Preset">The chosen preset's id.</param>
/// <param name="PresetTag">"id@version".</param>
/// <param name="Size">Size coordinate on the plane (0 = small anchor, 1 = large anchor; boundary <see cref="Plane.SizeBoundary"/>).</param>
/// <param name="Similarity">Similarity coordinate (0..1; boundary <see cref="Plane.SimilarityBoundary"/>).</param>
/// <param name="Region">"small-similar", "small-dissimilar", "large-similar" or "large-dissimilar".</param>
/// <param name="Dials">The preset's dials for this target after the recommender's adjustments.</param>
/// <param name="Reasons">Plain-language reasoning, in order.</param>
/// <param name="Adjustments">Dials changed from the preset, with why.</param>
/// <param name="DontTransfer">
/// The source's features are no better than a random network's on this target: train from random initialisation. An experiment
/// still runs <paramref name="Preset"/> beside its scratch arm, so the gap shows whether the advice was right.
/// </param>
public sealed record Recommendation(
    string Preset,
    string PresetTag,
    double Size,
    double Similarity,
    string Region,
    TransferDials Dials,
    IReadOnlyList<string> Reasons,
    IReadOnlyList<string> Adjustments,
    bool DontTransfer = false)
{
    /// <summary>What the recommender advises: a preset id, or <see cref="Recommender.ScratchAnswer"/>.</summary>
    public string Answer => DontTransfer ? Recommender.ScratchAnswer : Preset;

    /// <summary>Reasons and adjustments as one paragraph.</summary>
    public string Explanation => string.Join(" ", Reasons.Concat(Adjustments));
}

/// <summary>
/// "auto": places a (target, source) pair on the size x similarity plane from an <see cref="AnalysisResult"/>, picks the
/// preset of its region, adjusts its dials to the measurements, and says why.
/// </summary>
public static class Recommender
{
    /// <summary>Below this size coordinate and above this similarity a linear probe is recommended (tiny and very close).</summary>
    public const double TinySize = 0.0;
    public const double VerySimilar = 0.9;

    /// <summary>A shallower stage must beat the top stage's probe by this much (accuracy) to transfer fewer blocks.</summary>
    public const double StageMargin = 0.01;

    /// <summary>The answer "don't transfer: train from random initialisation".</summary>
    public const string ScratchAnswer = "scratch";

    /// <summary>
    /// The source's best probe must beat a probe on a random network's features by this much (accuracy) for transfer to be advised:
    /// below it the source brings nothing the architecture alone does not (field guide 1: negative transfer is measured against
    /// the same learner from random initialisation).
    /// </summary>
    public const double NothingToTransfer = 0.02;

    /// <summary>Every threshold the recommender decides with, by name: what a validation study freezes and reports.</summary>
    public static IReadOnlyDictionary<string, double> Thresholds { get; } = new Dictionary<string, double>
    {
        ["size boundary"] = Plane.SizeBoundary,
        ["similarity boundary"] = Plane.SimilarityBoundary,
        ["tiny size"] = TinySize,
        ["very similar"] = VerySimilar,
        ["stage margin"] = StageMargin,
        ["nothing to transfer"] = NothingToTransfer,
    };

    /// <summary>
    /// The plane's similarity coordinate of an analysis: the best stage's probe accuracy against the short fine-tune's (the probe's
    /// own when no fine-tune ran, which reads as fully similar). What <see cref="Recommend"/> places a target by.
    /// </summary>
    public static double Similarity(AnalysisResult analysis)
    {
        var (bestStage, fineTune) = SimilarityInputs(analysis);
        return Plane.Similarity(bestStage.ProbeAccuracy, fineTune);
    }

    /// <summary>The best stage by probe accuracy and the short fine-tune's accuracy (that probe's when no fine-tune ran).</summary>
    private static (StageMeasures BestStage, double FineTune) SimilarityInputs(AnalysisResult analysis)
    {
        if (analysis.Stages.Count == 0)
            throw new ArgumentException("the analysis has no probe accuracies", nameof(analysis));
        var bestStage = analysis.Stages.MaxBy(s => s.ProbeAccuracy)!;
        return (bestStage, analysis.Get("fine-tune") ?? bestStage.ProbeAccuracy);
    }

    public static Recommendation Recommend(AnalysisResult analysis)
    {
        var ci = CultureInfo.InvariantCulture;
        var size = analysis.Size;
        var (bestStage, fineTune) = SimilarityInputs(analysis);
        double probe = bestStage.ProbeAccuracy;
        double u = Plane.Size(size.Examples, size.ModelParameters);
        double v = Plane.Similarity(probe, fineTune);
        bool small = u < Plane.SizeBoundary;
        bool similar = v >= Plane.SimilarityBoundary;
        string region = $"{(small ? "small" : "large")}-{(similar ? "similar" : "dissimilar")}";

        var reasons = new List<string>
        {
            string.Format(ci,
                "Size {0:F2} on the plane: {1:N0} training images ({2} classes, at least {3} per class) for a model of {4:N0} parameters, " +
                "where the small/large boundary for this model size is about {5:N0} images (field guide 2: anchors 10k and 1M scale with parameters).",
                u, size.Examples, size.Classes, size.MinPerClass, size.ModelParameters, Plane.BoundaryExamples(size.ModelParameters)),
            string.Format(ci,
                "Similarity {0:F2} (boundary {1:F2}): the best linear probe on frozen source features (stage {2}) reaches {3:P1} on validation and " +
                "a short fine-tune {4:P1}, so {0:P0} of the frozen features' errors survive fine-tuning (field guide 2 and 5: a small probe vs " +
                "fine-tune gap means the features already fit).",
                v, Plane.SimilarityBoundary, bestStage.Stage, probe, fineTune),
        };

        string presetId = region;
        if (small && similar && u < TinySize && v >= VerySimilar)
        {
            presetId = "linear-probe";
            reasons.Add(string.Format(ci,
                "The target is tiny (size {0:F2} < {1:F2}) and the frozen features nearly match fine-tuning (similarity {2:F2} >= {3:F2}): " +
                "a linear classifier on them cannot overfit (field guide 8).", u, TinySize, v, VerySimilar));
        }
        else
        {
            reasons.Add($"That places it in the {region.Replace("-", ", ", StringComparison.Ordinal)} region: {Presets.Get(presetId).Summary}");
        }

        var preset = Presets.Get(presetId);
        var dials = preset.DialsFor(size.Examples);
        var adjustments = new List<string>();

        if (!similar && analysis.Stages.Count > 1)
        {
            var top = analysis.Stages[^1];
            var best = analysis.Stages.MaxBy(s => s.ProbeAccuracy)!;
            if (best.Stage < top.Stage && best.ProbeAccuracy >= top.ProbeAccuracy + StageMargin)
            {
                int blocks = 1 + best.Stage; // the stem and stages 1..best
                dials = dials with { BlocksTransferred = blocks, L2SPBlocks = dials.L2SPBlocks is null ? null : Math.Min(dials.L2SPBlocks.Value, blocks) };
                adjustments.Add(string.Format(ci,
                    "Frozen features of stage {0} fit better than the top stage's ({1:P1} vs {2:P1} probe accuracy), so only the stem and stages 1-{0} " +
                    "are transferred (blocksTransferred = {3}); the rest start from random (field guide 3: transfer fewer layers when dissimilar).",
                    best.Stage, best.ProbeAccuracy, top.ProbeAccuracy, blocks));
            }
        }
        if (small && similar && presetId == "small-similar" && v >= VerySimilar && dials.L2SPAlpha > 0)
        {
            dials = dials with { L2SPAlpha = dials.L2SPAlpha * 10 };
            adjustments.Add(string.Format(ci,
                "The features fit very well (similarity {0:F2}), so L2-SP holds them 10x more firmly (alpha {1:g2}; field guide 4: typical 0.01-0.1).",
                v, dials.L2SPAlpha));
        }
        bool dontTransfer = false;
        if (analysis.Get("probe-random") is { } random && probe < random + NothingToTransfer)
        {
            dontTransfer = true;
            reasons.Insert(0, string.Format(ci,
                "Don't transfer: the source's best probe ({0:P1}) is not {1:P0} better than a probe on a random network's features ({2:P1}), so the " +
                "source brings nothing the architecture alone does not; train from random initialisation (an experiment still runs {3} beside it to show the gap).",
                probe, NothingToTransfer, random, preset.Id));
        }
        return new Recommendation(preset.Id, preset.Tag, u, v, region, dials, reasons, adjustments, dontTransfer);
    }
}

/// <summary>What an "analyse" job produces: the measures and the recommender's reading of them.</summary>
public sealed record AnalysisReport(AnalysisResult Analysis, Recommendation Recommendation);
