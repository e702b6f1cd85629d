using TorchSharp;

namespace WebLab;

/// <summary>
/// Constant TorchSharp Scalars for hot paths, held for the life of the process. TorchSharp 0.107 turns a number passed
/// where a Scalar is expected into a temporary that only its finalizer frees, and the finalizer can run while the native
/// call that received it is still reading it (a use-after-free that surfaced here as "Unknown scalar type" and corrupt
/// shapes after hours of training under load; upstream: dotnet/TorchSharp pull requests 1434 and 1496). Code that runs
/// every step passes these, or a Scalar it creates and disposes itself, instead of a bare number.
/// </summary>
internal static class Scalars
{
    public static Scalar One { get; } = 1.ToScalar();

    /// <summary>255: uint8 pixels to [0, 1].</summary>
    public static Scalar ByteMax { get; } = 255f.ToScalar();
}
