using TorchSharp;
using static TorchSharp.torch;

namespace WebLab.Models;

/// <summary>
/// Where convolutions and pooling put their padding: PyTorch's symmetric <c>padding</c> (torchvision), or SAME_LOWER
/// (CNTK's and ONNX's auto_pad): out = ceil(in / stride), and the total padding that needs, split with the odd row and
/// column at the top and left. The two agree whenever the total is even - for a ResNet, at even sizes at every stage.
/// </summary>
public enum PaddingStyle
{
    Symmetric,
    SameLower,
}

/// <summary>Padding arithmetic for <see cref="PaddingStyle.SameLower"/>.</summary>
public static class SamePadding
{
    /// <summary>(before, after) padding of one spatial dimension.</summary>
    public static (long Before, long After) Of(long size, long kernel, long stride)
    {
        long output = (size + stride - 1) / stride;
        long total = Math.Max((output - 1) * stride + kernel - size, 0);
        return (total - total / 2, total / 2);
    }

    /// <summary>F.pad's [left, right, top, bottom] for an NCHW input; null when it is symmetric (the layer's own padding does it).</summary>
    public static long[]? Explicit(Tensor input, long kernel, long stride, out long symmetric)
    {
        var (top, bottom) = Of(input.shape[2], kernel, stride);
        var (left, right) = Of(input.shape[3], kernel, stride);
        symmetric = top;
        return top == bottom && left == right && top == left ? null : [left, right, top, bottom];
    }

    /// <summary>Max-pooling with SAME_LOWER padding (padded cells never win: they are -inf, as ONNX's MaxPool treats them).</summary>
    public static Tensor MaxPool(Tensor input, long kernel, long stride)
    {
        var pads = Explicit(input, kernel, stride, out long symmetric);
        if (pads is null)
            return nn.functional.max_pool2d(input, kernel, stride: stride, padding: symmetric);
        using var padded = nn.functional.pad(input, pads, PaddingModes.Constant, double.NegativeInfinity);
        return nn.functional.max_pool2d(padded, kernel, stride: stride);
    }
}

/// <summary>
/// A 2-D convolution with torchvision's parameter names (weight, bias) and PyTorch's default initialisation.
/// WebLab's own instead of TorchSharp's Conv2d: in TorchSharp 0.107 that module's Dispose skips the base
/// class, so the native module keeps its weights alive after disposal - every model built and disposed in a
/// long-running worker would leak them (measured: 1.1 GB after 300 x 4 MB convolutions).
/// </summary>
public sealed class Conv2dLayer : nn.Module<Tensor, Tensor>
{
    [TorchSharp.Utils.ComponentName(Name = "weight")]
    private readonly TorchSharp.Modules.Parameter _weight; // replaced by reflection in Module.to(device)
    [TorchSharp.Utils.ComponentName(Name = "bias")]
    private readonly TorchSharp.Modules.Parameter? _bias;
    private readonly long _stride;
    private readonly long _padding;
    private readonly long _kernel;
    private readonly PaddingStyle _style;

    /// <param name="padding">Symmetric padding; ignored for <see cref="PaddingStyle.SameLower"/>, which derives it from the input.</param>
    public Conv2dLayer(long inChannels, long outChannels, long kernel, long stride = 1, long padding = 0, bool bias = true,
        PaddingStyle style = PaddingStyle.Symmetric) : base("Conv2d")
    {
        _stride = stride;
        _padding = padding;
        _kernel = kernel;
        _style = style;
        _weight = new TorchSharp.Modules.Parameter(torch.empty(outChannels, inChannels, kernel, kernel));
        register_parameter("weight", _weight);
        if (bias)
        {
            _bias = new TorchSharp.Modules.Parameter(torch.empty(outChannels));
            register_parameter("bias", _bias);
        }
        ResetParameters();
    }

    public TorchSharp.Modules.Parameter Weight => _weight;

    /// <summary>PyTorch's default: Kaiming-uniform (a = √5) weights, uniform ±1/√fan_in bias.</summary>
    public void ResetParameters()
    {
        using var _ = torch.no_grad();
        nn.init.kaiming_uniform_(_weight, Math.Sqrt(5));
        if (_bias is not null)
        {
            double bound = 1 / Math.Sqrt(_weight.shape[1] * _weight.shape[2] * _weight.shape[3]);
            nn.init.uniform_(_bias, -bound, bound);
        }
    }

    public override Tensor forward(Tensor input)
    {
        if (_style == PaddingStyle.Symmetric)
            return nn.functional.conv2d(input, _weight, _bias, strides: [_stride, _stride], padding: [_padding, _padding]);
        var pads = SamePadding.Explicit(input, _kernel, _stride, out long symmetric);
        if (pads is null)
            return nn.functional.conv2d(input, _weight, _bias, strides: [_stride, _stride], padding: [symmetric, symmetric]);
        using var padded = nn.functional.pad(input, pads);
        return nn.functional.conv2d(padded, _weight, _bias, strides: [_stride, _stride]);
    }
}

/// <summary>A fully connected layer with torchvision's names (weight, bias); see <see cref="Conv2dLayer"/> for why it is ours.</summary>
public sealed class LinearLayer : nn.Module<Tensor, Tensor>
{
    [TorchSharp.Utils.ComponentName(Name = "weight")]
    private readonly TorchSharp.Modules.Parameter _weight; // replaced by reflection in Module.to(device)
    [TorchSharp.Utils.ComponentName(Name = "bias")]
    private readonly TorchSharp.Modules.Parameter _bias;

    public LinearLayer(long inFeatures, long outFeatures) : base("Linear")
    {
        _weight = new TorchSharp.Modules.Parameter(torch.empty(outFeatures, inFeatures));
        _bias = new TorchSharp.Modules.Parameter(torch.empty(outFeatures));
        register_parameter("weight", _weight);
        register_parameter("bias", _bias);
        ResetParameters();
    }

    public TorchSharp.Modules.Parameter Weight => _weight;

    /// <summary>PyTorch's default: U(-1/√fan_in, 1/√fan_in) for weight and bias.</summary>
    public void ResetParameters()
    {
        using var _ = torch.no_grad();
        double bound = 1 / Math.Sqrt(_weight.shape[1]);
        nn.init.uniform_(_weight, -bound, bound);
        nn.init.uniform_(_bias, -bound, bound);
    }

    public override Tensor forward(Tensor input) => nn.functional.linear(input, _weight, _bias);
}
