using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WebLab.Tests;

namespace WebLab.Web.Tests;

/// <summary>
/// A real single-node Slurm cluster (munged, slurmctld, slurmd from Debian's packages, started by
/// tests/slurm/cluster.sh) and a real lab whose training runs on it through sbatch, with a tiny source pretrained
/// through that lab's queue, so on Slurm too. A local-executor lab beside it runs the same experiment for comparison.
/// </summary>
public sealed class SlurmFixture : IAsyncLifetime
{
    private readonly TempDir _cluster = new();
    private readonly TempDir _data = new();
    private readonly TempDir _localData = new();

    public LabProcess Lab { get; private set; } = null!;

    public string Source { get; private set; } = "";

    /// <summary>SLURM_CONF of the test cluster, for the Slurm commands the tests run themselves.</summary>
    public string SlurmConf => Path.Combine(_cluster.Path, "slurm.conf");

    public async Task InitializeAsync()
    {
        var start = await Slurm.RunAsync(SlurmConf, "bash", Path.Combine(Fsi.RepoRoot, "tests/slurm/cluster.sh"), "start", _cluster.Path);
        Assert.True(start.Code == 0, $"the test cluster did not start: {start.Output}");
        Lab = new LabProcess(_data.Path, new Dictionary<string, string>
        {
            ["SLURM_CONF"] = SlurmConf,
            ["WebLab__Executor"] = "Slurm",
            ["WebLab__Slurm__PollInterval"] = "00:00:01",
            ["WebLab__Slurm__CpusPerJob"] = "1",
            ["WebLab__Slurm__MaxJobs"] = "2",
        });
        Source = await Lab.PretrainTinySourceAsync();
    }

    /// <summary>Runs <paramref name="spec"/> on a lab with the local executor (the default); returns its finished detail.</summary>
    public async Task<JsonElement> RunLocallyAsync(Func<string, object> spec)
    {
        using var local = new LabProcess(_localData.Path);
        var source = await local.PretrainTinySourceAsync();
        var id = (await local.SubmitAsync(spec(source))).GetProperty("id").GetString()!;
        return await local.FinishedAsync(id);
    }

    public async Task DisposeAsync()
    {
        Lab.Dispose();
        await Slurm.RunAsync(SlurmConf, "bash", Path.Combine(Fsi.RepoRoot, "tests/slurm/cluster.sh"), "stop", _cluster.Path);
        _data.Dispose();
        _localData.Dispose();
        _cluster.Dispose();
    }
}

[CollectionDefinition("slurm")]
public sealed class SlurmGroup : ICollectionFixture<SlurmFixture>;

[Collection("slurm")]
public sealed class SlurmTests(SlurmFixture fixture)
{
    private LabProcess Lab => fixture.Lab;


    [Fact]
    public async Task Experiment_OnSlurm_HasTheSameResultShape_AsOnLocalWorkers()
    {
        var id = (await Lab.SubmitAsync(LabProcess.SmallExperiment(fixture.Source))).GetProperty("id").GetString()!;
        var done = await Lab.FinishedAsync(id, seconds: 300);
        Assert.Equal("succeeded", LabProcess.State(done));
        Assert.Equal("COMPLETED", (await Slurm.EndedAsync(fixture.SlurmConf, id)).Single().State);
        var events = await Lab.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}/events");
        Assert.Contains(events.EnumerateArray(), e => e.GetProperty("type").GetString() == "progress"); // streamed back over HTTP

        var local = await fixture.RunLocallyAsync(source => LabProcess.SmallExperiment(source));
        Assert.Equal("succeeded", LabProcess.State(local));
        Assert.Equal(Shape(local.GetProperty("result")), Shape(done.GetProperty("result")));
        // The checkpoint the worker wrote on the shared folder is registered like a local one.
        Assert.Equal(HttpStatusCode.OK, (await Lab.Http.GetAsync($"/api/checkpoints/ckpt_{id["job_".Length..]}")).StatusCode);
    }

    [Fact]
    public async Task Cancel_ReachesScancel()
    {
        var id = await Lab.RunningWithProgressAsync(fixture.Source, 20);
        var response = await Lab.Http.PostAsync($"/api/jobs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var job = await Slurm.EndedAsync(fixture.SlurmConf, id);
        Assert.Equal("CANCELLED", job.Single().State);
        Assert.Equal("cancelled", LabProcess.State(await Lab.FinishedAsync(id)));
    }

    [Fact]
    public async Task JobKilledByScancel_IsRetried_AndCompletes()
    {
        var id = await Lab.RunningWithProgressAsync(fixture.Source, 20);
        var first = (await Slurm.JobAsync(fixture.SlurmConf, id)).Single();
        await Slurm.RunAsync(fixture.SlurmConf, "scancel", first.Id);
        var done = await Lab.FinishedAsync(id, seconds: 300);
        Assert.Equal("succeeded", LabProcess.State(done));
        var jobs = await Slurm.EndedAsync(fixture.SlurmConf, id);
        Assert.Equal(["CANCELLED", "COMPLETED"], jobs.Select(j => j.State));
        var reasons = Reasons(done);
        Assert.Contains(reasons, r => r.StartsWith("interrupted:", StringComparison.Ordinal));
        Assert.Equal(1, done.GetProperty("job").GetProperty("attempt").GetInt32()); // an interruption spends no attempt
    }

    [Fact]
    public async Task JobOnANodeThatFailsMidRun_IsRequeued_AndCompletes()
    {
        var id = await Lab.RunningWithProgressAsync(fixture.Source, 20);
        var node = (await Slurm.RunAsync(fixture.SlurmConf, "hostname", "-s")).Output.Trim();
        await Slurm.RunAsync(fixture.SlurmConf, "scontrol", "update", $"NodeName={node}", "State=DOWN", "Reason=weblab-test");
        await Slurm.WaitAsync(fixture.SlurmConf, id, jobs => jobs.Any(j => j.State == "NODE_FAIL"));
        // The node comes back (ReturnToService=2 when slurmd re-registers; RESUME when it stays down).
        await Slurm.RunAsync(fixture.SlurmConf, "scontrol", "update", $"NodeName={node}", "State=RESUME");
        var done = await Lab.FinishedAsync(id, seconds: 300);
        Assert.Equal("succeeded", LabProcess.State(done));
        Assert.Contains(Reasons(done), r => r.Contains("NODE_FAIL", StringComparison.Ordinal) || r.StartsWith("interrupted:", StringComparison.Ordinal));
        Assert.Equal(1, done.GetProperty("job").GetProperty("attempt").GetInt32());
        Assert.Equal("COMPLETED", (await Slurm.EndedAsync(fixture.SlurmConf, id))[^1].State);
    }

    [Fact]
    public async Task Sweep_RunsAsAJobArray_OnePointPerTask()
    {
        var job = await Lab.SubmitAsync(LabProcess.TwoPointSweep(fixture.Source));
        var id = job.GetProperty("id").GetString()!;
        var done = await Lab.FinishedAsync(id, seconds: 300);
        Assert.Equal("succeeded", LabProcess.State(done));
        var points = done.GetProperty("result").GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(["5", "10"], points.Select(p => p.GetProperty("settings").GetProperty("perClass").GetString()));
        var tasks = await Slurm.EndedAsync(fixture.SlurmConf, id);
        Assert.Equal([0, 1], tasks.Select(t => t.ArrayTask).Order());
        Assert.Single(tasks.Select(t => t.ArrayJob).Distinct()); // one sbatch, two tasks
        Assert.All(tasks, t => Assert.Equal("COMPLETED", t.State));
        var events = await Lab.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}/events");
        Assert.Equal(2, events.EnumerateArray().Count(e => e.GetProperty("type").GetString() == "point-finished"));
    }


    private static List<string> Reasons(JsonElement detail) =>
        detail.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("reason").GetString() ?? "").ToList();

    /// <summary>Every property path of a JSON value (array items merged), the result's shape without its numbers.</summary>
    private static SortedSet<string> Shape(JsonElement value, string path = "$")
    {
        var paths = new SortedSet<string>(StringComparer.Ordinal) { path };
        if (value.ValueKind == JsonValueKind.Object)
            foreach (var p in value.EnumerateObject())
                paths.UnionWith(Shape(p.Value, $"{path}.{p.Name}"));
        else if (value.ValueKind == JsonValueKind.Array)
            foreach (var item in value.EnumerateArray())
                paths.UnionWith(Shape(item, path + "[]"));
        return paths;
    }
}

/// <summary>The test cluster's own view of a lab job's Slurm jobs (scontrol keeps ended jobs for MinJobAge, an hour).</summary>
public static class Slurm
{
    public sealed record Job(string Id, string State, int? ArrayJob, int? ArrayTask)
    {
        public bool Ended => State is not ("PENDING" or "RUNNING" or "CONFIGURING" or "COMPLETING");
    }

    public static async Task<(int Code, string Output)> RunAsync(string slurmConf, string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["SLURM_CONF"] = slurmConf;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The Slurm jobs (array tasks one by one) the lab submitted for lab job <paramref name="labJob"/>, in submission order.</summary>
    public static async Task<List<Job>> JobAsync(string slurmConf, string labJob)
    {
        var (_, output) = await RunAsync(slurmConf, "scontrol", "show", "job", "-o");
        var jobs = new List<Job>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(f => f.Split('=', 2)).Where(f => f.Length == 2)
                .GroupBy(f => f[0]).ToDictionary(g => g.Key, g => g.First()[1]);
            if (fields.GetValueOrDefault("JobName") != $"weblab-{labJob}")
                continue;
            int? Number(string key) => fields.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
            jobs.Add(new Job(fields["JobId"], fields["JobState"], Number("ArrayJobId"), Number("ArrayTaskId")));
        }
        return jobs.OrderBy(j => int.Parse(j.Id, CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>The lab job's Slurm jobs once all have ended (a worker posts its exit, then its process still has to finish).</summary>
    public static Task<List<Job>> EndedAsync(string slurmConf, string labJob) => WaitAsync(slurmConf, labJob, jobs => jobs.All(j => j.Ended));

    public static async Task<List<Job>> WaitAsync(string slurmConf, string labJob, Func<List<Job>, bool> until, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        List<Job> jobs = [];
        while (DateTime.UtcNow < deadline)
        {
            jobs = await JobAsync(slurmConf, labJob);
            if (jobs.Count > 0 && until(jobs))
                return jobs;
            await Task.Delay(250);
        }
        throw new TimeoutException($"Slurm's jobs for {labJob} did not reach the expected state; last: {string.Join(", ", jobs)}");
    }
}
