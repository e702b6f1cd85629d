using static TorchSharp.torch;

namespace WebLab.Tests;

public static class Tensors
{
    /// <summary>Same shape and bit-identical values (TorchSharp's Tensor.equal is element-wise).</summary>
    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
