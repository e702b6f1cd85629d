using TorchSharp;
using WebLab.Checkpoints.Zoo;
using static TorchSharp.torch;

namespace WebLab.Tests.Checkpoints.Zoo;

/// <summary>CNTK's SAME_LOWER padding computes exactly what WebLab's symmetric padding does for the ResNet's layers.</summary>
public class SamePaddingTests
{
    [Theory]
    [InlineData(7, 2)]
    [InlineData(3, 2)]
    [InlineData(3, 1)]
    [InlineData(1, 2)]
    public void SameLowerConvolution_EqualsSymmetric_AtEvenAndOddSizes(int kernel, int stride)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(0);
        var weight = torch.randn(4, 3, kernel, kernel);
        foreach (var size in new[] { 7, 8, 15, 16, 223, 224 })
        {
            var x = torch.randn(2, 3, size, size);
            Assert.True(SamePadding.MatchesSymmetric(size, kernel, stride));
            var same = nn.functional.conv2d(PadSameLower(x, kernel, stride, 0), weight, strides: [stride, stride]);
            var symmetric = nn.functional.conv2d(x, weight, strides: [stride, stride], padding: [kernel / 2, kernel / 2]);
            Assert.Equal(same.shape, symmetric.shape);
            Assert.True(same.allclose(symmetric, rtol: 0, atol: 1e-5), $"{kernel}x{kernel}/{stride} at {size} px");
        }
    }

    [Theory]
    [InlineData(112)]
    [InlineData(111)]
    public void SameLowerMaxPool_EqualsSymmetric(int size)
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.randn(1, 2, size, size);
        var same = nn.functional.max_pool2d(PadSameLower(x, 3, 2, double.NegativeInfinity), 3, stride: 2);
        var symmetric = nn.functional.max_pool2d(x, 3, stride: 2, padding: 1);
        Assert.True(Tensors.Same(same, symmetric));
    }

    [Fact]
    public void StrideThree_IsNotSymmetric()
    {
        Assert.False(SamePadding.MatchesSymmetric(9, 3, 3) && SamePadding.MatchesSymmetric(10, 3, 3));
        Assert.Equal((3L, 2L), SamePadding.Of(224, 7, 2));
        Assert.Equal((1L, 0L), SamePadding.Of(112, 3, 2));
    }

    private static Tensor PadSameLower(Tensor x, long kernel, long stride, double value)
    {
        var (top, bottom) = SamePadding.Of(x.shape[2], kernel, stride);
        var (left, right) = SamePadding.Of(x.shape[3], kernel, stride);
        return nn.functional.pad(x, [left, right, top, bottom], PaddingModes.Constant, value);
    }
}
