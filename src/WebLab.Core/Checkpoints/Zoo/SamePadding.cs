namespace WebLab.Checkpoints.Zoo;

/// <summary>
/// SAME_LOWER padding (ONNX's auto_pad, CNTK's exports): the output is ceil(in / stride) and the padding that needs is
/// split with the odd row and column at the top and left.
/// <para>
/// Why WebLab's symmetric padding p = (k − 1) / 2 computes the same thing for odd kernels k and strides s of 1 or 2, at
/// any size n: both give ceil(n / s) outputs, and SAME's total is k − 1 + r with r = (ceil(n / s) − 1)·s − (n − 1) in
/// {0, −1} for s ≤ 2, so its leading padding ceil(total / 2) is p; the trailing row SAME leaves out is one no window of
/// the symmetric version reads. A stride of 3 or more breaks this (r reaches −2).
/// </para>
/// </summary>
internal static class SamePadding
{
    /// <summary>(before, after) padding of one spatial dimension of <paramref name="size"/>.</summary>
    public static (long Before, long After) Of(long size, long kernel, long stride)
    {
        long output = (size + stride - 1) / stride;
        long total = Math.Max((output - 1) * stride + kernel - size, 0);
        return (total - total / 2, total / 2);
    }

    /// <summary>True when symmetric padding (kernel − 1) / 2 computes what SAME_LOWER does (see the class notes).</summary>
    public static bool MatchesSymmetric(long size, long kernel, long stride) =>
        kernel % 2 == 1 && stride is 1 or 2 && Of(size, kernel, stride).Before == kernel / 2;
}
