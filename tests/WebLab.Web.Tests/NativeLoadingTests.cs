using System.Diagnostics;
using WebLab.Tests;

namespace WebLab.Web.Tests;

/// <summary>
/// Hosts without a deps.json (F# scripts, a copied bin folder) must load the build's patched libLibTorchSharp.so from
/// beside WebLab.Core, never TorchSharp's fallback copy out of the NuGet cache (unpatched: Debian 12 refuses it).
/// </summary>
public sealed class NativeLoadingTests
{
    private static string CliBin => Path.Combine(Fsi.RepoRoot, "src/WebLab.Cli/bin/Release/net10.0");

    [Fact]
    public async Task Cli_WithoutDepsJsonAndWithAnEmptyNuGetCache_TrainsOnThePatchedLibrary()
    {
        Assert.True(File.Exists(Path.Combine(CliBin, "weblab.dll")), "build the solution in Release first");
        using var dir = new TempDir();
        var app = Path.Combine(dir.Path, "app");
        // Hard links keep the 500 MB of libtorch where it is (symbolic ones would not do: the host follows them back
        // to the build folder and its deps.json). Removing weblab.deps.json is what makes the host bare.
        using (var copy = Process.Start("cp", ["-al", CliBin, app]))
            await copy.WaitForExitAsync();
        File.Delete(Path.Combine(app, "weblab.deps.json"));
        var emptyNuGet = Directory.CreateDirectory(Path.Combine(dir.Path, "nuget")).FullName;

        var info = Fsi.StartInfo(app, "weblab.dll", "pretrain", "--dataset", "fashion-mnist", "--classes", "0,1",
            "--per-class", "10", "--arch", "resnet8", "--epochs", "1", "--out", Path.Combine(dir.Path, "tiny.weblab"));
        info.Environment["NUGET_PACKAGES"] = emptyNuGet; // TorchSharp's fallback finds nothing to copy
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{await stdout}\n{await stderr}");
        Assert.Contains("Test accuracy:", await stdout);
        Assert.False(Directory.Exists(Path.Combine(app, "cpu")), "TorchSharp fell back to copying libraries");
        Assert.Empty(Directory.EnumerateFileSystemEntries(emptyNuGet));
    }
}
