using System.Diagnostics;
using System.Text.Json;

namespace WebLab.Cli.Bench;

/// <summary>
/// Runs bench/pytorch's scripts (embedded in this assembly) with the Debian 13 chroot's python3-torch, in a
/// private mount namespace (unshare) so /proc and /sys are mounted for the run only and nothing is left behind.
/// </summary>
internal sealed class PyTorchReference(string root, bool tunedAllocator = true)
{
    public const string DefaultRoot = "/var/cache/weblab-bench/trixie";
    private const string ScriptFolder = "opt/weblab-bench";
    private static readonly string[] s_scripts = ["models.py", "train_step.py", "infer.py"];

    /// <summary>Wall-clock time (UTC) just before the last <see cref="Run"/> started its process, for `bench warm-up`.</summary>
    public DateTime LastStartedUtc { get; private set; }

    public string Root { get; } = root;

    /// <summary>
    /// Gives python the same glibc allocator thresholds WebLab runs with (measured here: plain glibc defaults make
    /// PyTorch's CPU steps 1.5-3x slower too, so a reference without them would flatter WebLab).
    /// </summary>
    public bool TunedAllocator { get; } = tunedAllocator;

    /// <summary>How the reference was run, for the results file.</summary>
    public string Describe() => $"{Version ?? "not available"} in a Debian 13 chroot (bench/pytorch/setup.sh), " +
        (TunedAllocator ? $"GLIBC_TUNABLES={WebLab.Runtime.NativeAllocator.GlibcTunables} as WebLab" : "glibc's default allocator settings");

    /// <summary>The torch version line written by setup.sh, or null when the chroot is not ready.</summary>
    public string? Version => File.Exists(Path.Combine(Root, ".weblab-bench-ready"))
        ? File.ReadAllText(Path.Combine(Root, ".weblab-bench-ready")).Trim()
        : null;

    /// <summary>Why the reference cannot run here and how to fix it; null when it can.</summary>
    public string? Unavailable()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
            return "the PyTorch reference runs in a chroot and needs root";
        if (Version is null)
            return $"no PyTorch chroot at {Root}; create it with `sudo bench/pytorch/setup.sh {Root}` (Debian 13, python3-torch 2.6; ~10 min)";
        return null;
    }

    /// <summary>Runs one script and returns its JSON line.</summary>
    public JsonElement Run(string script, IEnumerable<string> arguments, TimeSpan timeout)
    {
        Install();
        var start = new ProcessStartInfo("/usr/bin/unshare") { RedirectStandardOutput = true, RedirectStandardError = true };
        // sh's $0 is the chroot; the rest is the python command line.
        const string inner = "mount -t proc proc \"$0/proc\" && mount --rbind /sys \"$0/sys\" && " +
            "exec chroot \"$0\" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root ";
        var environment = TunedAllocator ? $"GLIBC_TUNABLES={WebLab.Runtime.NativeAllocator.GlibcTunables} " : "";
        foreach (var arg in new[] { "--mount", "--fork", "--", "/bin/sh", "-c", inner + environment + "/usr/bin/python3 -u \"$@\"", Root,
                     $"/{ScriptFolder}/{script}" }.Concat(arguments))
            start.ArgumentList.Add(arg);
        LastStartedUtc = DateTime.UtcNow;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} ran longer than {timeout.TotalSeconds:F0} s");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} failed ({process.ExitCode}): {stderr.Result.Trim()}");
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last();
        return JsonDocument.Parse(line).RootElement.Clone();
    }

    private void Install()
    {
        var folder = Path.Combine(Root, ScriptFolder);
        Directory.CreateDirectory(folder);
        foreach (var name in s_scripts)
        {
            using var resource = typeof(PyTorchReference).Assembly.GetManifestResourceStream($"WebLab.Bench.{name}")
                ?? throw new InvalidOperationException($"bench script {name} is not embedded");
            using var file = File.Create(Path.Combine(folder, name));
            resource.CopyTo(file);
        }
    }
}
