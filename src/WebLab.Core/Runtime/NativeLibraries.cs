using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace WebLab.Runtime;

/// <summary>
/// Finds TorchSharp's native libraries beside WebLab.Core in hosts that have no deps.json.
/// </summary>
/// <remarks>
/// An app started from its deps.json finds <c>runtimes/linux-x64/native/libLibTorchSharp.so</c> by itself. F# scripts
/// (<c>dotnet fsi</c>) and any other host without a deps.json may not: TorchSharp then falls back to copying the
/// libraries out of the NuGet cache into a <c>cpu/</c> folder, including the unpatched libLibTorchSharp.so that
/// Debian 12's libstdc++ refuses (see Directory.Build.targets). This handler runs only when the runtime's own probing
/// has failed, and answers with the build's patched copies in the folder WebLab.Core was loaded from; the NuGet cache
/// is never read or written.
/// </remarks>
public static class NativeLibraries
{
    private static readonly string[] s_names = ["LibTorchSharp", "torch_cpu", "torch_cuda", "torch", "c10"];

    /// <summary>Why the last library this handler found could not be loaded (for error messages), or null.</summary>
    public static string? LastFailure { get; private set; }

#pragma warning disable CA2255 // Deliberate: the handler must be in place before TorchSharp's first native call.
    [ModuleInitializer]
    internal static void Register() =>
        AssemblyLoadContext.GetLoadContext(typeof(NativeLibraries).Assembly)!.ResolvingUnmanagedDll += Resolve;
#pragma warning restore CA2255

    /// <summary>The folders searched, in order: the RID's native folder beside WebLab.Core, then the folder itself
    /// (a RID-specific publish flattens native files there).</summary>
    private static IReadOnlyList<string> SearchFolders()
    {
        var home = Path.GetDirectoryName(typeof(NativeLibraries).Assembly.Location);
        if (string.IsNullOrEmpty(home))
            return []; // single-file app: its bundle extracts natives itself
        return [Path.Combine(home, "runtimes", RuntimeIdentifier, "native"), home];
    }

    private static string RuntimeIdentifier
    {
        get
        {
            var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            return $"{os}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
        }
    }

    private static IntPtr Resolve(Assembly assembly, string name)
    {
        if (!s_names.Contains(name))
            return IntPtr.Zero;
        foreach (var folder in SearchFolders())
        {
            var path = Path.Combine(folder, FileName(name));
            if (!File.Exists(path))
                continue;
            try
            {
                // Its RUNPATH is $ORIGIN, so libtorch and its other dependencies load from the same folder.
                return NativeLibrary.Load(path);
            }
            catch (DllNotFoundException e)
            {
                LastFailure = e.Message;
            }
        }
        return IntPtr.Zero;
    }

    private static string FileName(string name) =>
        OperatingSystem.IsWindows() ? name + ".dll" : OperatingSystem.IsMacOS() ? $"lib{name}.dylib" : $"lib{name}.so";
}
