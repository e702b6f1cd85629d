using System.Runtime.InteropServices;

namespace WebLab.Runtime;

/// <summary>
/// Turns off libtorch's NNPACK convolution path, so hosts without NNPACK support print no warnings.
/// </summary>
/// <remarks>
/// libtorch asks whether NNPACK is available before many CPU convolutions and, on a CPU that NNPACK does not
/// support, retries its start-up and logs "Could not initialize NNPACK! Reason: Unsupported hardware." each
/// time (nine lines for one `weblab predict`). TorchSharp has no switch for it, and libtorch reads
/// TORCH_CPP_LOG_LEVEL only when PyTorch's Python module asks it to, so we call the C++ switch
/// <c>at::globalContext().setUserEnabledNNPACK(false)</c> that <c>torch.backends.nnpack</c> wraps. Once it is
/// off libtorch never asks: where NNPACK works, those convolutions use libtorch's other CPU kernels (oneDNN).
/// The entry points are Itanium-mangled (Linux, macOS); on Windows they are not found and nothing changes.
/// </remarks>
internal static partial class Nnpack
{
    private const string LibTorch = "torch_cpu";

    /// <summary>Disables NNPACK for this process; false when this libtorch has no such switch.</summary>
    public static bool Disable()
    {
        try
        {
            SetUserEnabledNnpack(GlobalContext(), enabled: false);
            return true;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    /// <summary>True when NNPACK is enabled for this process (libtorch's default).</summary>
    public static bool Enabled => UserEnabledNnpack(GlobalContext());

    [LibraryImport(LibTorch, EntryPoint = "_ZN2at13globalContextEv")]
    private static partial IntPtr GlobalContext();

    [LibraryImport(LibTorch, EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    private static partial void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [LibraryImport(LibTorch, EntryPoint = "_ZNK2at7Context17userEnabledNNPACKEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    private static partial bool UserEnabledNnpack(IntPtr context);
}
