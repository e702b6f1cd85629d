using System.Text.Json;
using WebLab.Lab.Access;
using WebLab.Lab.Jobs;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Lab.Tests.Jobs;

public sealed class TrackRecordTests
{
    private const string Worker = "host_a/train-0";

    private static readonly Caller Alice = new("alice", Role.Member);

    /// <summary>A finished experiment whose result carries an analysis (as the "auto" preset records it) and an NTG.</summary>
    private static async Task FinishAsync(TempLab lab, double leep, double logMe, double ntg, bool analysed = true)
    {
        var job = await lab.RunningAsync(Worker);
        MeasureValue Measure(string id, string name, double value) => new(id, name, value, null, 0.1, "", "");
        object result = analysed
            ? new { ntg = new NtgSummary(ntg, 0, [ntg, ntg], [ntg], 1), analysis = new { measures = new[] { Measure("leep", "LEEP", leep), Measure("logme", "LogME", logMe) } } }
            : new { ntg = new NtgSummary(ntg, 0, [ntg, ntg], [ntg], 1) };
        Assert.True(await lab.Jobs.CompleteAsync(job.Id, Worker, JsonSerializer.Serialize(result, WebLabJson.Compact)));
    }

    [Fact]
    public async Task TrackRecord_IsEmptyUntilThreeAnalysedExperimentsHaveFinished()
    {
        await using var lab = await TempLab.CreateAsync();
        await FinishAsync(lab, -1.0, 0.5, -0.10);
        await FinishAsync(lab, -0.5, 0.7, -0.20);
        await FinishAsync(lab, -0.2, 0.9, -0.30, analysed: false);
        Assert.Empty(await TrackRecord.ComputeAsync(lab.Jobs, Alice));
    }

    [Fact]
    public async Task TrackRecord_RanksEachMeasureAgainstTheMeasuredGain()
    {
        await using var lab = await TempLab.CreateAsync();
        // Gain = −NTG in points: 10, 20, 30, 40. LEEP orders the targets the same way; LogME orders them backwards,
        // except that one of its values is undefined and left out.
        await FinishAsync(lab, -1.0, 0.9, -0.10);
        await FinishAsync(lab, -0.5, 0.8, -0.20);
        await FinishAsync(lab, -0.2, 0.7, -0.30);
        await FinishAsync(lab, -0.1, double.NaN, -0.40);
        var record = (await TrackRecord.ComputeAsync(lab.Jobs, Alice)).ToDictionary(r => r.Id);
        Assert.Equal(("LEEP", 1.0, 4), (record["leep"].Name, record["leep"].Rho, record["leep"].N));
        Assert.Equal(("LogME", -1.0, 3), (record["logme"].Name, record["logme"].Rho, record["logme"].N));
    }
}
