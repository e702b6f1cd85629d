using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using WebLab.Tests;

namespace WebLab.Web.Tests;

/// <summary>
/// The F# scripts in examples/ run the way a user runs them: `dotnet fsi` in a child process. The remote ones talk to a
/// real lab process (see <see cref="ExamplesLab"/>). experiment.fsx references the Release build of src/WebLab.Cli, so
/// these tests need the solution built in Release (`dotnet test WebLab.sln -c Release`, as CI does).
/// </summary>
public sealed class ExamplesTests(ExamplesLab lab) : IClassFixture<ExamplesLab>
{
    private static readonly TimeSpan s_csvTimeout = TimeSpan.FromMinutes(2);

    private static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task ExperimentScript_PretrainsATinySource_AndPrintsTheGap()
    {
        Assert.True(File.Exists(Path.Combine(Fsi.RepoRoot, "src/WebLab.Cli/bin/Release/net10.0/WebLab.Core.dll")),
            "experiment.fsx references src/WebLab.Cli/bin/Release: build the solution in Release first.");

        var run = await Fsi.RunAsync("experiment.fsx",
            ["--per-class", "5", "--epochs", "1", "--pretrain-per-class", "50"], TimeSpan.FromMinutes(4));

        run.AssertSucceeded();
        Assert.Contains("source test accuracy", run.Stdout);
        Assert.Matches(@"transfer seed 0: test accuracy \d+\.\d%", run.Stdout);
        Assert.Matches(@"scratch seed 0: test accuracy \d+\.\d%", run.Stdout);
        Assert.Matches(@"NTG: [+-]\d+\.\d points - transfer (reduced test error|increased test error|made no measurable difference)", run.Stdout);
        // The build's patched libraries were used, not TorchSharp's fallback copy out of the NuGet cache.
        Assert.False(Directory.Exists(Path.Combine(Fsi.RepoRoot, "src/WebLab.Cli/bin/Release/net10.0/cpu")));
    }

    [Fact]
    public async Task RemoteSweepScript_FollowsTheSweepLive_AndPrintsTheGapPerPoint()
    {
        var run = await lab.SweepAsync();

        run.AssertSucceeded();
        Assert.Matches(@"submitted job_\w+ to http://127\.0\.0\.1:\d+ \(sweep of perClass 5,10", run.Stdout);
        // Progress lines come from live hub events only: the last epoch of the last run is always live.
        Assert.Matches(@"\[\d+\] 100\.0% point 2/2: scratch, seed 0, epoch 2/2 \(point eta", run.Stdout);
        Assert.Matches(@"point 1/2 \(perClass=5\): scratch seed 0 test accuracy [\d.]+%, NTG so far [+-][\d.]+ points",
            run.Stdout);
        Assert.Matches(@"perClass=5: transfer \d+\.\d%, scratch \d+\.\d%, NTG [+-]\d+\.\d points", run.Stdout);
        Assert.Matches(@"perClass=10: transfer \d+\.\d%, scratch \d+\.\d%, NTG [+-]\d+\.\d points", run.Stdout);
    }

    [Fact]
    public async Task ResultsCsvScript_WritesOneRowPerPointArmAndSeed()
    {
        // Reads the sweep that the remote-sweep script ran in this lab (run once, whichever test asks first).
        var sweep = await lab.SweepAsync();
        sweep.AssertSucceeded();
        var jobId = Regex.Match(sweep.Stdout, @"submitted (job_\w+)").Groups[1].Value;
        var csv = Path.Combine(lab.Root, "results.csv");

        var toFile = await Fsi.RunAsync("results-csv.fsx", [lab.Url, "--job", jobId, "--out", csv, "--token", lab.Token], s_csvTimeout);

        toFile.AssertSucceeded();
        Assert.Contains($"wrote 4 rows from 1 job(s) to {csv}", toFile.Stdout);
        var lines = File.ReadAllLines(csv);
        Assert.StartsWith("job,kind,job_name,point,settings,target,per_class,source,arm,seed,test_accuracy,", lines[0]);
        Assert.Equal(1 + 2 * 2, lines.Length); // header, then 2 points x 2 arms x 1 seed
        Assert.All(lines[1..], line => Assert.StartsWith($"{jobId},sweep,", line));
        Assert.Contains(lines, line => line.Contains(",1,perClass=10,fashion-mnist,10,")
                                       && line.Contains(",scratch,0,"));

        // Without --job: every succeeded experiment and sweep (not the pretraining job), on stdout.
        var toStdout = await Fsi.RunAsync("results-csv.fsx", [lab.Url, "--token", lab.Token], s_csvTimeout);

        toStdout.AssertSucceeded();
        Assert.Equal(lines, Lines(toStdout.Stdout));
    }
}

/// <summary>
/// A real lab for the remote scripts (a <see cref="LabProcess"/>, no demo-source pretraining); its source is a tiny
/// pretraining job instead.
/// </summary>
public sealed class ExamplesLab : IAsyncLifetime
{
    private readonly TempDir _root = new();
    private readonly Lazy<Task<ScriptRun>> _sweep;
    private LabProcess? _lab;

    public ExamplesLab() =>
        _sweep = new(async () => await Fsi.RunAsync("remote-sweep.fsx",
            [Url, "--source", await _lab!.PretrainTinySourceAsync(), "--per-class", "5,10", "--seeds", "1", "--epochs", "2", "--token", Token],
            TimeSpan.FromMinutes(5)));

    /// <summary>Scratch folder of this lab: its data folder lives under it, tests may write files into it.</summary>
    public string Root => _root.Path;

    public string Url => _lab!.Url.ToString().TrimEnd('/');

    /// <summary>The lab's test admin's API token (scripts take it as --token).</summary>
    public string Token => _lab!.Token!;

    /// <summary>remote-sweep.fsx against this lab (perClass 5 and 10, one seed, two epochs), run once.</summary>
    public Task<ScriptRun> SweepAsync() => _sweep.Value;

    public Task InitializeAsync()
    {
        _lab = new LabProcess(Path.Combine(Root, "data"));
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        _lab?.Dispose();
        _root.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>A finished child process: how it was started, its exit code and everything it printed.</summary>
public sealed record ScriptRun(string Command, int ExitCode, string Stdout, string Stderr)
{
    public void AssertSucceeded()
    {
        if (ExitCode != 0)
            Assert.Fail($"{Command} exited with {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}");
    }
}

/// <summary>Runs the examples with `dotnet fsi` from the repository root.</summary>
internal static class Fsi
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WebLab.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no WebLab.sln above {AppContext.BaseDirectory}");
    });

    /// <summary>The folder holding WebLab.sln (and examples/).</summary>
    public static string RepoRoot => s_root.Value;

    public static async Task<ScriptRun> RunAsync(string script, IReadOnlyList<string> args, TimeSpan timeout)
    {
        var info = StartInfo(RepoRoot, ["fsi", Path.Combine("examples", script), .. args]);
        var command = "dotnet " + string.Join(' ', info.ArgumentList);
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Append(stderr, $"[test] killed after {timeout}");
            return new ScriptRun(command, -1, Text(stdout), Text(stderr));
        }
        process.WaitForExit(); // drains the output handlers
        return new ScriptRun(command, process.ExitCode, Text(stdout), Text(stderr));
    }

    /// <summary>`dotnet ARGS`, output redirected, without the MSBuild variables `dotnet test` leaves behind.</summary>
    public static ProcessStartInfo StartInfo(string workingDirectory, params IEnumerable<string> args)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        var dotnet = File.Exists(host) ? host : "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // a script never waits on the test's console
            UseShellExecute = false,
        };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        // fsi restores `#r "nuget: ..."` with MSBuild; inherited MSBuild settings would point it at the test run's.
        var msbuild = info.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase));
        foreach (var name in msbuild.ToList())
            info.Environment.Remove(name);
        return info;
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is null)
            return;
        lock (text)
            text.AppendLine(line);
    }

    private static string Text(StringBuilder text)
    {
        lock (text)
            return text.ToString();
    }
}
