using TorchSharp;
using WebLab.Runtime;
using static TorchSharp.torch;

namespace WebLab.Training;

/// <summary>Floating-point precision of the forward pass.</summary>
public enum Precision
{
    /// <summary>float32 throughout (libtorch's default).</summary>
    Float32,

    /// <summary>bfloat16 autocast for the forward pass (weights, gradients and the optimiser stay float32).</summary>
    BFloat16,
}

/// <summary>
/// Faster arithmetic where libtorch offers it: bfloat16 autocast for the forward pass, channels-last (NHWC) convolutions,
/// and TF32 matrix multiplications and convolutions on CUDA. <see cref="DefaultFor"/> is what the trainer uses unless told
/// otherwise; bench/results/arithmetic-*.md and warm-up.md have the measurements behind it.
/// </summary>
/// <param name="Precision">Forward-pass precision (autocast, as <c>torch.autocast(device, dtype=torch.bfloat16)</c>).</param>
/// <param name="ChannelsLast">Convolution weights and inputs in channels-last memory format during training and evaluation.</param>
/// <param name="Tf32">On CUDA: let cuBLAS and cuDNN use TF32 tensor cores for float32 work. Ignored on CPUs.</param>
public sealed record Arithmetic(Precision Precision = Precision.Float32, bool ChannelsLast = false, bool Tf32 = false)
{
    /// <summary>float32, contiguous (NCHW) tensors, no TF32: libtorch's defaults, bit-for-bit what WebLab always did.</summary>
    public static Arithmetic Exact { get; } = new();

    /// <summary>The arithmetic named by the WEBLAB_ARITHMETIC environment variable (<see cref="Parse"/>; read once per process, so a lab's workers inherit it), or null.</summary>
    public static Arithmetic? Configured { get; } = Parse(Environment.GetEnvironmentVariable("WEBLAB_ARITHMETIC"));

    /// <summary>
    /// Whether a CPU with native bfloat16 instructions (AVX-512 BF16 or AMX) trains in bf16 autocast by default.
    /// Measured on such a CPU (bench/results/warm-up.md, arithmetic-*.md): the demo's ResNet-8 reached its 25th step in
    /// 0.69x the float32 time; see <see cref="DefaultFor"/> for what decides it.
    /// </summary>
    public const bool BFloat16OnCpusThatHaveIt = false;

    /// <summary>
    /// What the trainer uses on <paramref name="device"/> when <see cref="TrainerSettings.Arithmetic"/> is not set:
    /// <see cref="Configured"/> when set; else bf16 autocast on a CPU with native bf16 when <see cref="BFloat16OnCpusThatHaveIt"/>
    /// (without it oneDNN emulates bf16 and is slower than float32); else <see cref="Exact"/>. GPUs get <see cref="Exact"/>
    /// unless configured: <see cref="CudaFast"/> has not been measured.
    /// </summary>
    public static Arithmetic DefaultFor(Device device) =>
        Configured ?? (BFloat16OnCpusThatHaveIt && device.type == DeviceType.CPU && CpuFeatures.NativeBFloat16
            ? new Arithmetic(Precision.BFloat16)
            : Exact);

    /// <summary>
    /// The usual fast recipe on an Ampere-or-newer GPU: bf16 autocast (no gradient scaler needed; TorchSharp 0.107 has
    /// none, so float16 is not offered), TF32 for what stays float32, and channels-last for tensor-core convolutions.
    /// Not run on a GPU yet: no GPU was available where it was written.
    /// </summary>
    public static Arithmetic CudaFast { get; } = new(Precision.BFloat16, ChannelsLast: true, Tf32: true);

    /// <summary>
    /// "float32" (or empty: null), "bf16", "channels-last", "tf32" or a comma-separated mix ("bf16,channels-last").
    /// </summary>
    /// <exception cref="BadInputException">An unknown word.</exception>
    public static Arithmetic? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var arithmetic = Exact;
        foreach (var word in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            arithmetic = word.ToLowerInvariant() switch
            {
                "float32" or "fp32" => arithmetic with { Precision = Precision.Float32 },
                "bf16" or "bfloat16" => arithmetic with { Precision = Precision.BFloat16 },
                "channels-last" or "channels_last" => arithmetic with { ChannelsLast = true },
                "tf32" => arithmetic with { Tf32 = true },
                _ => throw new BadInputException($"Arithmetic '{word}' is not float32, bf16, channels-last or tf32."),
            };
        }
        return arithmetic;
    }

    /// <summary>True when the settings change nothing (the fast path skips all of this).</summary>
    public bool IsExact => Precision == Precision.Float32 && !ChannelsLast && !Tf32;

    /// <summary>
    /// An autocast region for <paramref name="device"/> when <see cref="Precision"/> asks for one, else an empty region.
    /// Open it around the forward pass and loss only; backward and the optimiser step run after it is disposed.
    /// </summary>
    public Autocast.Region Forward(Device device) =>
        Precision == Precision.BFloat16 ? Autocast.Enter(device.type, ScalarType.BFloat16) : default;

    /// <summary>The batch in the memory format the model expects (a copy in NHWC order when channels-last, else itself).</summary>
    public Tensor Input(Tensor images) => ChannelsLast && images.dim() == 4 ? MemoryLayout.ToChannelsLast(images) : images;

    /// <summary>
    /// Puts <paramref name="model"/> into this arithmetic's memory format and sets TF32 for the run; disposing the returned
    /// scope restores contiguous weights (checkpoints and exports read plain NCHW storage) and the previous TF32 flags.
    /// </summary>
    public IDisposable Apply(nn.Module model, Device device)
    {
        if (IsExact)
            return NoScope.Instance;
        if (ChannelsLast)
            MemoryLayout.SetChannelsLast(model, channelsLast: true);
        var tf32 = Tf32 && device.type == DeviceType.CUDA ? CudaTf32.Enable() : null;
        return new Scope(model, ChannelsLast, tf32);
    }

    private sealed class Scope(nn.Module model, bool channelsLast, CudaTf32? tf32) : IDisposable
    {
        public void Dispose()
        {
            if (channelsLast)
                MemoryLayout.SetChannelsLast(model, channelsLast: false);
            tf32?.Dispose();
        }
    }

    private sealed class NoScope : IDisposable
    {
        public static readonly NoScope Instance = new();

        public void Dispose()
        {
        }
    }
}

/// <summary>
/// Channels-last (NHWC) memory format without TorchSharp support for it: TorchSharp 0.107 has no <c>memory_format</c>
/// argument, but a tensor permuted to NHWC, made contiguous and permuted back is exactly what PyTorch's
/// <c>.to(memory_format=torch.channels_last)</c> returns (NCHW sizes, NHWC strides), and libtorch's convolutions
/// pick their channels-last kernels from those strides.
/// </summary>
internal static class MemoryLayout
{
    public static Tensor ToChannelsLast(Tensor tensor) => tensor.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    /// <summary>Rewrites every 4-D parameter of <paramref name="model"/> in place (same tensor, new storage) to NHWC or back to NCHW.</summary>
    public static void SetChannelsLast(nn.Module model, bool channelsLast)
    {
        using var _ = torch.no_grad();
        foreach (var parameter in model.parameters())
        {
            if (parameter.dim() != 4)
                continue;
            using var scope = torch.NewDisposeScope();
            // set_ makes the parameter share the new tensor's storage, so the temporary may be disposed with the scope.
            parameter.set_(channelsLast ? ToChannelsLast(parameter) : parameter.contiguous());
        }
    }
}

/// <summary>What the CPU offers for reduced precision (Linux: /proc/cpuinfo's flags; elsewhere nothing is assumed).</summary>
internal static class CpuFeatures
{
    /// <summary>True when the CPU has bfloat16 dot-product instructions (avx512_bf16 or amx_bf16), so oneDNN runs bf16 natively.</summary>
    public static bool NativeBFloat16 { get; } = Read();

    private static bool Read()
    {
        try
        {
            var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            return flags is not null && flags.Split(' ').Any(f => f is "avx512_bf16" or "amx_bf16");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>TF32 for cuBLAS matrix multiplications and cuDNN convolutions (torch.backends.cuda.matmul / cudnn .allow_tf32), restored on dispose. CUDA only; not run on a GPU yet.</summary>
internal sealed class CudaTf32 : IDisposable
{
    private readonly bool _matmul;
    private readonly bool _cudnn;

    private CudaTf32()
    {
        _matmul = torch.backends.cuda.matmul.allow_tf32;
        _cudnn = torch.backends.cudnn.allow_tf32;
    }

    public static CudaTf32 Enable()
    {
        var previous = new CudaTf32();
        torch.backends.cuda.matmul.allow_tf32 = true;
        torch.backends.cudnn.allow_tf32 = true;
        return previous;
    }

    public void Dispose()
    {
        torch.backends.cuda.matmul.allow_tf32 = _matmul;
        torch.backends.cudnn.allow_tf32 = _cudnn;
    }
}
