using System.Diagnostics;
using System.Text.Json;
using WebLab.Checkpoints.Zoo;
using WebLab.Data;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Cli.Bench;

/// <summary>
/// weblab bench tiles: datasets of any size through the shared tile cache. A generated target of --images JPEGs
/// (224 px, 10 classes) trains from the ImageNet ResNet-18 at 224 px in a fresh process, twice: the first experiment
/// decodes into an empty cache, the second finds the tiles there. Each row is one process: its peak resident set
/// (VmHWM), the time from process start to the data being ready and to the first training step. With --before, an
/// older weblab build runs the same experiment first, for the row to compare against.
/// </summary>
internal static class TileCacheBench
{
    /// <summary>Peak RSS a worker training on the generated target may reach (MiB).</summary>
    public const double RssGoalMiB = 2048;

    /// <summary>How long the --before build may run (it cannot be told to stop after a number of steps).</summary>
    private static readonly TimeSpan s_beforeLimit = TimeSpan.FromMinutes(3);

    private sealed record Measured(string Row, double? LoadSeconds, double? FirstStepSeconds, int Steps, double Seconds, double PeakRssMiB,
        string Outcome);

    public static int Run(BenchOptions options, string work, int images, int steps, int batch, string? before)
    {
        Directory.CreateDirectory(work);
        var source = Path.Combine(work, ModelZoo.ResNet18ImageNet + ".weblab");
        if (!File.Exists(source))
            ModelZoo.Install(ModelZoo.ResNet18ImageNet, source);
        Console.Error.WriteLine($"  target: {images} generated 224 px JPEGs (kept in {work} between runs)");
        var target = SampleImages.GeneratedJpegs(work, images, 224);
        var tiles = Path.Combine(work, "tiles");
        if (Directory.Exists(tiles))
            Directory.Delete(tiles, recursive: true); // the first "after" row must decode

        var rows = new List<Measured>();
        if (before is not null)
            rows.Add(Child("before: " + Path.GetFileName(before) + " (one in-memory array)", before,
                ["experiment", "--target", target, "--source", source, "--seeds", "1", "--steps", "100000", "--batch-size", $"{batch}", "--no-probe",
                 "--device", "cpu"], inProcessReport: false));
        var self = typeof(TileCacheBench).Assembly.Location;
        string[] run = ["bench", "tiles-run", "--target", target, "--source", source, "--tiles", tiles, "--steps", $"{steps}", "--batch-size", $"{batch}"];
        rows.Add(Child("after: first experiment (decodes into an empty cache)", self, run, inProcessReport: true));
        rows.Add(Child("after: second experiment (the cache has the tiles)", self, run, inProcessReport: true));

        var file = new ResultsFile($"Tile cache: {images:N0} images at 224 px, ResNet-18 training from the shared cache", options.Command)
            .Columns("process", "data ready (s)", "first training step (s)", "steps run", "peak RSS (MiB)", "outcome");
        foreach (var r in rows)
            file.Row(r.Row, Seconds(r.LoadSeconds), Seconds(r.FirstStepSeconds), $"{r.Steps}", $"**{r.PeakRssMiB:F0}**", r.Outcome);
        var first = rows[^2];
        var second = rows[^1];
        bool rssOk = rows.Skip(rows.Count - 2).All(r => r.PeakRssMiB < RssGoalMiB && r.Steps >= steps);
        file.Note($"Goal: peak RSS under {RssGoalMiB:F0} MiB while training on all {images:N0} images: " +
                  $"{(rssOk ? "met" : "MISSED")} ({first.PeakRssMiB:F0} and {second.PeakRssMiB:F0} MiB).");
        if (first.FirstStepSeconds is { } cold && second.FirstStepSeconds is { } warm)
            file.Note($"Time to the first training step: {cold:F1} s with decoding, {warm:F1} s from the cache ({cold / warm:F1}x sooner); " +
                      "the second experiment hashes the files (the cache key) but decodes nothing.");
        file.Note("Each row is a new process (as a lab worker is): times count from process start (runtime start, source load, dataset " +
                  $"hash and decode or cache open, splits, model build). Training: ResNet-18 from the ImageNet source at 224 px, batch {batch}, " +
                  $"CPU, stopped after {steps} steps (the budget is what is measured, not accuracy); peak RSS is the process's VmHWM.");
        file.Note("Tiles are read with positioned reads from one file per (dataset, tile size) under the cache folder, so the kernel's page " +
                  "cache, shared by every worker, holds them; a worker's RSS holds only the batches in flight.");
        file.Save(options.Results, images == 50_000 ? "tile-cache.md" : $"tile-cache-{images}.md");
        return rssOk ? 0 : 3;
    }

    private static string Seconds(double? value) => value is { } v ? $"{v:F1}" : "-";

    /// <summary>Runs one measured process and samples its peak RSS until it exits.</summary>
    private static Measured Child(string row, string dll, string[] arguments, bool inProcessReport)
    {
        Console.Error.WriteLine($"  {row}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + dll);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        double peak = 0;
        bool ended = false;
        while (!process.WaitForExit(200))
        {
            peak = Math.Max(peak, PeakRssMiB(process.Id));
            // The old build has no way to stop after N steps; 3 minutes show its memory, then it is ended.
            if (!inProcessReport && clock.Elapsed > s_beforeLimit)
            {
                process.Kill(entireProcessTree: true);
                ended = true;
            }
        }
        var stdout = output.Result;
        var lastError = error.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        if (inProcessReport && stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() is { } line && line.StartsWith('{'))
        {
            var report = JsonSerializer.Deserialize<ChildReport>(line, WebLabJson.Compact)!;
            return new Measured(row, report.LoadSeconds, report.FirstStepSeconds, report.Steps, clock.Elapsed.TotalSeconds,
                Math.Max(peak, report.PeakRssMiB), process.ExitCode == 0 ? "trained" : $"exit {process.ExitCode}: {lastError}");
        }
        return new Measured(row, null, null, 0, clock.Elapsed.TotalSeconds, peak, ended
            ? $"still running after {s_beforeLimit.TotalMinutes:F0} min (ended by the bench)"
            : $"exit {process.ExitCode} after {clock.Elapsed.TotalSeconds:F0} s: {Truncate(lastError)}");
    }

    private static string Truncate(string text) => text.Length <= 160 ? text : text[..160] + "...";

    private static double PeakRssMiB(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.TryParse(line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out var kb) ? kb / 1024.0 : 0;
        }
        catch (IOException)
        {
            return 0; // exited between the check and the read
        }
    }

    private sealed record ChildReport(double? LoadSeconds, double? FirstStepSeconds, int Steps, double PeakRssMiB);

    /// <summary>The measured process: one experiment, stopped after <paramref name="steps"/> training steps; prints a JSON report.</summary>
    public static int RunChild(string target, string source, string tiles, int steps, int batch)
    {
        var started = Process.GetCurrentProcess().StartTime.ToUniversalTime();
        double Now() => (DateTime.UtcNow - started).TotalSeconds;
        double? loaded = null, firstStep = null;
        int done = 0;
        using var stop = new CancellationTokenSource();
        var progress = new InlineProgress<ExperimentEvent>(e =>
        {
            if (e is ExperimentStarted)
                loaded ??= Now();
            if (e is TrainingUpdate { Progress.Step: >= 1 } update)
            {
                firstStep ??= Now();
                done = Math.Max(done, update.Progress.Step);
                if (done >= steps)
                    stop.Cancel();
            }
        });
        var spec = new ExperimentSpec(target, source, Seeds: 1, Device: "cpu", Probe: false,
            Transfer: new TransferDials(Steps: 100_000, BatchSize: batch));
        try
        {
            Experiment.Run(spec, progress, files: new DatasetFileOptions(AllowDownload: false, TileCacheDirectory: tiles), cancellationToken: stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped on purpose after the measured steps.
        }
        Console.WriteLine(JsonSerializer.Serialize(new ChildReport(loaded, firstStep, done, PeakRssMiB(Environment.ProcessId)), WebLabJson.Compact));
        return 0;
    }
}
