namespace WebLab.Transfer;

/// <summary>
/// The size x similarity plane of the field guide ("2. The taxonomy: two continuous axes") in continuous coordinates.
/// <para>
/// Size: 0 at "small" and 1 at "large" on a log scale, where the field guide's anchors (10k and 1M examples, for
/// ImageNet-scale ResNet-50s of 25.6M parameters) scale with the model's parameter count, because larger models need
/// more data before large-dataset strategies apply. The boundary 0.5 is the middle of the field guide's blend zone
/// (100k examples for ResNet-50). For the demo's resnet8 (about 78k parameters) it falls at about 300 examples;
/// measured here, the demo's transfer gain shrinks from 17 points at 25 examples to under 1 point from 250 examples
/// on (README, data-efficiency sweep), which is where the small-target strategies stop paying.
/// </para>
/// <para>
/// Similarity: 0..1, the share of the frozen features' errors that survive a short fine-tune,
/// (1 − fine-tune accuracy) / (1 − best probe accuracy), where the probe is the best linear probe over the source's
/// stages (lower stages can fit a dissimilar target better than the top one, field guide 3). This is the field
/// guide's probe vs short fine-tune gap (sections 2 and 5) made relative: features that already fit leave
/// fine-tuning little to fix (near 1); features that do not fit leave it most of the errors to remove (near 0).
/// The boundary 0.75 was calibrated here (bench/study): Fashion-MNIST 0-4 features on Fashion-MNIST 5-9 at 20 per
/// class scored 0.83 (best probe 90.4 %, fine-tune 92.0 %; measured transfer gain 2.9 points), on MNIST digits 0-4
/// 0.65 (84.0 %, 89.6 %; gain 0.4 points, not separable from zero).
/// </para>
/// </summary>
public static class Plane
{
    /// <summary>Parameters of the model the field guide's size anchors are quoted for (ResNet-50).</summary>
    public const double ReferenceParameters = 25.6e6;

    public const double SmallAnchor = 10_000;
    public const double LargeAnchor = 1_000_000;

    /// <summary>Size and similarity boundaries between the regions.</summary>
    public const double SizeBoundary = 0.5;
    public const double SimilarityBoundary = 0.75;

    /// <summary>Examples that count as "small" (size 0) for a model of <paramref name="parameters"/>.</summary>
    public static double SmallExamples(long parameters) => SmallAnchor * parameters / ReferenceParameters;

    /// <summary>Examples at the size boundary for a model of <paramref name="parameters"/>.</summary>
    public static double BoundaryExamples(long parameters) => SmallExamples(parameters) * Math.Pow(LargeAnchor / SmallAnchor, SizeBoundary);

    /// <summary>The size coordinate of <paramref name="examples"/> training images for a model of <paramref name="parameters"/>.</summary>
    public static double Size(int examples, long parameters) =>
        Math.Log10(Math.Max(1, examples) / SmallExamples(parameters)) / Math.Log10(LargeAnchor / SmallAnchor);

    /// <summary>The similarity coordinate from the best stage's probe accuracy and the short fine-tune's (0..1 each).</summary>
    public static double Similarity(double bestProbe, double fineTune)
    {
        double probeError = 1 - bestProbe;
        if (probeError <= 1e-9)
            return 1;
        return Math.Clamp((1 - fineTune) / probeError, 0, 1);
    }
}
