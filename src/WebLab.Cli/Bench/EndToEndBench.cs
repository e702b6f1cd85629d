using System.Diagnostics;
using System.Text.Json;

namespace WebLab.Cli.Bench;

/// <summary>
/// The demo experiment through a real lab, from POST /api/demo to the finished result, and the time to its first
/// result (the frozen-feature probe event), as a person clicking "Run the demo" sees it.
/// </summary>
internal static class EndToEndBench
{
    public const double WallGoal = 60;
    public const double FirstResultGoal = 5;

    public static int Run(BenchOptions options, string webDll, string data)
    {
        if (!File.Exists(webDll))
            throw new BadInputException($"{webDll} not found; build first (dotnet build WebLab.sln -c Release) or pass --web.");
        Directory.CreateDirectory(data);
        Console.Error.WriteLine($"  lab data folder {data}");
        using var lab = new LabHost(webDll, data);
        WaitForDemoSource(lab);

        var walls = new List<double>();
        var firsts = new List<double>();
        var workerSeconds = new List<double>();
        for (int r = 0; r < options.Repeats; r++)
        {
            var (wall, first, inWorker) = RunDemo(lab);
            walls.Add(wall);
            firsts.Add(first);
            workerSeconds.Add(inWorker);
            Console.Error.WriteLine($"  demo {r + 1}: {wall:F1} s submit to result, first result (probe) after {first:F1} s, {inWorker:F1} s in the worker");
        }
        double w = Stats.Median(walls), f = Stats.Median(firsts);
        var file = new ResultsFile("End to end: the demo experiment through the lab", options.Command)
            .Columns("measure", "median", "all repeats", "goal");
        file.Row("submit -> result (s)", $"**{w:F1}**", string.Join(", ", walls.Select(x => x.ToString("F1"))), $"< {WallGoal} s: {(w < WallGoal ? "met" : "MISSED")}");
        file.Row("submit -> first result: probe (s)", $"**{f:F1}**", string.Join(", ", firsts.Select(x => x.ToString("F1"))),
            $"< {FirstResultGoal} s: {(f < FirstResultGoal ? "met" : "MISSED")}");
        file.Row("experiment time in the worker (s)", $"{Stats.Median(workerSeconds):F1}", string.Join(", ", workerSeconds.Select(x => x.ToString("F1"))), "-");
        file.Note("The demo: Fashion-MNIST classes 0-4 -> 5-9, 20 images per class, 3 seeds, transfer and scratch arms, 30 epochs each, " +
            "through POST /api/demo on the built host (dotnet WebLab.Web.dll) with a real worker process; timed by polling the job's events every 50 ms.");
        file.Note("The built-in demo source is pretrained once per data folder (about 2 min) and not counted; --data reuses a folder that has it.");
        file.Save(options.Results, "e2e.md");
        return w < WallGoal && f < FirstResultGoal ? 0 : 3;
    }

    private static void WaitForDemoSource(LabHost lab)
    {
        var clock = Stopwatch.StartNew();
        bool told = false;
        while (!lab.Get("/api/checkpoints").EnumerateArray().Any(c => c.TryGetProperty("builtin", out var b) && b.ValueKind == JsonValueKind.True))
        {
            var failed = lab.Get("/api/jobs?kind=pretrain&state=failed");
            if (failed.GetArrayLength() > 0)
                throw new InvalidOperationException($"the demo source's pretraining failed: {failed[0]}");
            if (!told)
            {
                Console.Error.WriteLine("  waiting for the lab to pretrain its demo source (first start of this data folder, about 2 min) ...");
                told = true;
            }
            if (clock.Elapsed > TimeSpan.FromMinutes(20))
                throw new TimeoutException("the demo source was not ready after 20 min");
            Thread.Sleep(1000);
        }
        if (told)
            Console.Error.WriteLine($"  demo source ready after {clock.Elapsed.TotalSeconds:F0} s");
    }

    private static (double Wall, double FirstResult, double InWorker) RunDemo(LabHost lab)
    {
        var clock = Stopwatch.StartNew();
        var id = lab.Post("/api/demo").GetProperty("id").GetString()!;
        double? first = null;
        long after = 0;
        while (true)
        {
            foreach (var e in lab.Get($"/api/jobs/{id}/events?after={after}").EnumerateArray())
            {
                after = Math.Max(after, e.GetProperty("seq").GetInt64());
                if (first is null && e.GetProperty("type").GetString() == "probe")
                    first = clock.Elapsed.TotalSeconds;
            }
            var job = lab.Get($"/api/jobs/{id}");
            var state = job.GetProperty("job").GetProperty("state").GetString();
            if (state is "succeeded")
            {
                double wall = clock.Elapsed.TotalSeconds;
                var seconds = job.TryGetProperty("result", out var result) && result.ValueKind == JsonValueKind.Object
                    && result.TryGetProperty("seconds", out var s) ? s.GetDouble() : double.NaN;
                return (wall, first ?? double.NaN, seconds);
            }
            if (state is "failed" or "cancelled" or "timed-out")
                throw new InvalidOperationException($"the demo job {id} ended {state}: {job.GetProperty("job")}\n{lab.Log}");
            if (clock.Elapsed > TimeSpan.FromMinutes(15))
                throw new TimeoutException($"the demo job {id} did not finish in 15 min");
            Thread.Sleep(50);
        }
    }
}
