using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

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

        var toFile = await Fsi.RunAsync("results-csv.fsx", [lab.Url, "--job", jobId, "--out", csv], s_csvTimeout);

        toFile.AssertSucceeded();
        Assert.Contains($"wrote 4 rows from 1 job(s) to {csv}", toFile.Stdout);
        var lines = File.ReadAllLines(csv);
        Assert.StartsWith("job,kind,job_name,point,settings,target,per_class,source,arm,seed,test_accuracy,", lines[0]);
        Assert.Equal(1 + 2 * 2, lines.Length); // header, then 2 points x 2 arms x 1 seed
        Assert.All(lines[1..], line => Assert.StartsWith($"{jobId},sweep,", line));
        Assert.Contains(lines, line => line.Contains(",1,perClass=10,fashion-mnist,10,")
                                       && line.Contains(",scratch,0,"));

        // Without --job: every succeeded experiment and sweep (not the pretraining job), on stdout.
        var toStdout = await Fsi.RunAsync("results-csv.fsx", [lab.Url], s_csvTimeout);

        toStdout.AssertSucceeded();
        Assert.Equal(lines, Lines(toStdout.Stdout));
    }
}

/// <summary>
/// A real lab for the remote scripts: `dotnet WebLab.Web.dll` from this test's output folder on a free port, with its
/// own data folder and no demo-source pretraining (minutes on a CPU); its source is a tiny pretraining job instead.
/// </summary>
public sealed class ExamplesLab : IAsyncLifetime
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan s_jobTimeout = TimeSpan.FromMinutes(4);

    private readonly ConcurrentQueue<string> _log = new();
    private readonly Lazy<Task<string>> _source;
    private readonly Lazy<Task<ScriptRun>> _sweep;
    private Process? _process;
    private HttpClient? _http;

    public ExamplesLab()
    {
        Root = Path.Combine(Path.GetTempPath(), "weblab-examples-" + Guid.NewGuid().ToString("N")[..12]);
        _source = new(PretrainSourceAsync);
        _sweep = new(async () => await Fsi.RunAsync("remote-sweep.fsx",
            [Url, "--source", await _source.Value, "--per-class", "5,10", "--seeds", "1", "--epochs", "2"],
            TimeSpan.FromMinutes(5)));
    }

    /// <summary>Scratch folder of this lab: its data folder lives under it, tests may write files into it.</summary>
    public string Root { get; }

    public string Url { get; private set; } = "";

    /// <summary>remote-sweep.fsx against this lab (perClass 5 and 10, one seed, two epochs), run once.</summary>
    public Task<ScriptRun> SweepAsync() => _sweep.Value;

    public async Task InitializeAsync()
    {
        var host = Path.Combine(AppContext.BaseDirectory, "WebLab.Web.dll");
        Assert.True(File.Exists(host), $"{host} is missing; referencing src/WebLab.Web should put it there.");
        Url = $"http://127.0.0.1:{FreePort()}";
        var info = Fsi.StartInfo(AppContext.BaseDirectory, host, "--urls", Url);
        info.Environment["WEBLAB_DATA"] = Path.Combine(Root, "data");
        info.Environment["WebLab__CreateDemoSource"] = "false";
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => Log(e.Data);
        _process.ErrorDataReceived += (_, e) => Log(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        _http = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };

        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
                Assert.Fail($"the lab exited with code {_process.ExitCode} while starting.\n{LogTail()}");
            if (clock.Elapsed > s_startTimeout)
                Assert.Fail($"the lab did not answer on {Url} within {s_startTimeout}.\n{LogTail()}");
            try
            {
                using var response = await _http.GetAsync(new Uri("/api/queue", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(250);
        }
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_process is not null)
        {
            // Its workers are child processes: take the whole tree down.
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                // nothing more to do than what Kill did
            }
            _process.Dispose();
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // a file still held open; the folder is under the temp folder anyway
        }
    }

    /// <summary>A tiny source on Fashion-MNIST 0-4, pretrained by the lab itself; returns its checkpoint id.</summary>
    private async Task<string> PretrainSourceAsync()
    {
        var spec = new
        {
            dataset = "fashion-mnist",
            classes = new[] { "0", "1", "2", "3", "4" },
            architecture = "resnet8",
            epochs = 1,
            perClass = 100,
        };
        using var response = await _http!.PostAsJsonAsync(new Uri("/api/jobs", UriKind.Relative),
            new { kind = "pretrain", spec, name = "tiny source for the examples" });
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created)
            Assert.Fail($"the pretraining job was refused: {(int)response.StatusCode} {body}");
        using var summary = JsonDocument.Parse(body);
        var jobId = summary.RootElement.GetProperty("id").GetString()!;
        await WaitForSuccessAsync(jobId);
        // A pretraining job's checkpoint is named after the job: job_X -> ckpt_X.
        return "ckpt_" + jobId["job_".Length..];
    }

    private async Task WaitForSuccessAsync(string jobId)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var uri = new Uri($"/api/jobs/{jobId}", UriKind.Relative);
            using var detail = JsonDocument.Parse(await _http!.GetStringAsync(uri));
            var job = detail.RootElement.GetProperty("job");
            var state = job.GetProperty("state").GetString();
            if (state == "succeeded")
                return;
            if (state is not ("queued" or "running"))
                Assert.Fail($"job {jobId} ended {state}: {job}\n{LogTail()}");
            if (clock.Elapsed > s_jobTimeout)
                Assert.Fail($"job {jobId} still {state} after {s_jobTimeout}.\n{LogTail()}");
            await Task.Delay(500);
        }
    }

    private void Log(string? line)
    {
        if (line is null)
            return;
        _log.Enqueue(line);
        while (_log.Count > 200)
            _log.TryDequeue(out _);
    }

    private string LogTail() => "--- lab output (last lines) ---\n" + string.Join('\n', _log);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
