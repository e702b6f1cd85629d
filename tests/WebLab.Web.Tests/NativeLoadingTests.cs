using System.Diagnostics;
using WebLab.Tests;

namespace WebLab.Web.Tests;

/// <summary>
/// Hosts without a deps.json (F# scripts, a copied bin folder) must load the build's patched libLibTorchSharp.so from
/// beside WebLab.Core, never TorchSharp's fallback copy out of the NuGet cache (unpatched: Debian 12 refuses it).
/// </summary>
public sealed class NativeLoadingTests
{
    [Fact]
    public async Task Cli_WithoutDepsJsonAndWithAnEmptyNuGetCache_TrainsOnThePatchedLibrary()
    {
        using var dir = new TempDir();
        var app = Path.Combine(dir.Path, "app");
        // Hard links keep the 500 MB of libtorch where it is (symbolic ones would not do: the host follows them back
        // to the build folder and its deps.json). Removing weblab.deps.json is what makes the host bare.
        using (var copy = Process.Start("cp", ["-al", WeblabCli.Bin, app]))
        {
            await copy.WaitForExitAsync();
        }
        File.Delete(Path.Combine(app, "weblab.deps.json"));
        var emptyNuGet = Directory.CreateDirectory(Path.Combine(dir.Path, "nuget")).FullName;

        // TorchSharp's fallback finds nothing to copy in an empty NuGet cache.
        var run = await WeblabCli.RunAsync(app, new() { ["NUGET_PACKAGES"] = emptyNuGet }, "pretrain", "--dataset", "fashion-mnist",
            "--classes", "0,1", "--per-class", "10", "--arch", "resnet8", "--epochs", "1", "--out", Path.Combine(dir.Path, "tiny.weblab"));

        run.AssertSucceeded();
        Assert.Contains("Test accuracy:", run.Stdout);
        Assert.False(Directory.Exists(Path.Combine(app, "cpu")), "TorchSharp fell back to copying libraries");
        Assert.Empty(Directory.EnumerateFileSystemEntries(emptyNuGet));
    }
}

/// <summary>The built `weblab` command, run as a user runs it (`dotnet weblab.dll ...`).</summary>
internal static class WeblabCli
{
    public static string Bin => Path.Combine(Fsi.RepoRoot, "src/WebLab.Cli/bin/Release/net10.0");

    /// <summary>Runs weblab.dll from <paramref name="appDir"/> (default: the build folder) and collects its output.</summary>
    public static async Task<ScriptRun> RunAsync(string? appDir, Dictionary<string, string>? environment, params string[] args)
    {
        var dir = appDir ?? Bin;
        Assert.True(File.Exists(Path.Combine(dir, "weblab.dll")), "build the solution in Release first");
        var info = Fsi.StartInfo(dir, ["weblab.dll", .. args]);
        foreach (var (name, value) in environment ?? [])
            info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return new ScriptRun("dotnet weblab.dll " + string.Join(' ', args), process.ExitCode, await stdout, await stderr);
    }
}
