using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Workers;
using WebLab.Lab.Workers.Executors;

namespace WebLab.Lab.Tests.Workers;

/// <summary>
/// What every scheduler-backed executor shares, driven by a scheduler the test controls: tokens that name one launch,
/// posts delivered to their worker, commands answered, arrays combined, and ends the scheduler reports.
/// </summary>
public sealed class RemoteExecutorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("weblab-remote-").FullName;
    private readonly ManualTime _time = new(DateTimeOffset.UtcNow); // polls run on real timers; the grace is judged on this clock
    private readonly RemoteWorkers _workers = new(new AttemptTokens(new EphemeralDataProtectionProvider()));

    /// <summary>A scheduler whose answers the test sets; it counts cancels.</summary>
    private sealed class FakeScheduler(RemoteWorkers workers, TimeProvider time)
        : RemoteExecutor(workers, () => "http://lab.test:5180", TimeSpan.FromSeconds(1), time, NullLogger.Instance)
    {
        public override string Name => "fake";

        public override int Slots => 1;

        public override bool Gpus => false;

        public List<TaskView> Tasks { get; set; } = [];

        public int Cancels { get; private set; }

        protected override Task<string> SubmitAsync(WorkerLaunch launch, CancellationToken cancellationToken) => Task.FromResult("42");

        protected override Task<IReadOnlyList<TaskView>> QueryAsync(RemoteWorker worker, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<TaskView>>(Tasks);

        protected override Task CancelAsync(RemoteWorker worker, CancellationToken cancellationToken)
        {
            Cancels++;
            return Task.CompletedTask;
        }
    }

    private WorkerLaunch Launch(string kind = "experiment", int tasks = 1, int attempt = 1) => new(
        new JobRecord
        {
            Id = "job_1", Kind = kind, Owner = "alice", Name = "x", SpecJson = "{}", State = JobState.Running, Lane = Lanes.Train,
            Attempt = attempt, CreatedAt = "2026-12-03T00:00:00Z",
        },
        new WorkerJob("job_1", kind, "auto", _folder, JsonSerializer.SerializeToElement(new { })),
        tasks, new Dictionary<string, string>(), _time.GetUtcNow().AddHours(1));

    /// <summary>The token the executor wrote into the attempt's job file (what the worker posts with).</summary>
    private static string TokenOf(WorkerLaunch launch) =>
        WebLabJson.Deserialize<WorkerJob>(File.ReadAllText(launch.JobFile), "job file").Uplink!.Token;

    private static string Line(WorkerMessage message) => JsonSerializer.Serialize(message, WebLabJson.Compact);

    [Fact]
    public async Task AWorkersPosts_ReachItsWorker_AndTheAnswerCarriesItsCommands()
    {
        var scheduler = new FakeScheduler(_workers, _time);
        var launch = Launch();
        using var worker = await scheduler.StartAsync(launch, CancellationToken.None);
        var token = TokenOf(launch);
        Assert.Equal("http://lab.test:5180", WebLabJson.Deserialize<WorkerJob>(File.ReadAllText(launch.JobFile), "job").Uplink!.Url);

        Assert.True(worker.Send(WorkerCommands.Stop));
        var answer = _workers.Post(token, 0, [Line(new WorkerEvent("log", JsonSerializer.SerializeToElement(new { message = "hi" })))]);
        Assert.Equal(UplinkStatus.Ok, answer.Status);
        Assert.Equal([WorkerCommands.Stop], answer.Commands);
        Assert.Empty(_workers.Post(token, 0, []).Commands); // a command is handed out once

        var result = new WorkerResult(JsonSerializer.SerializeToElement(new { accuracy = 0.9 }));
        _workers.Post(token, 0, [Line(result), Line(new WorkerExited(WorkerExit.Succeeded))]);
        Assert.Equal(WorkerExit.Succeeded, (await worker.WaitForExitAsync()).Code);
        var messages = await worker.MessagesAsync().ToListAsync();
        Assert.IsType<WorkerEvent>(messages[0]);
        Assert.Equal(0.9, Assert.IsType<WorkerResult>(messages[^1]).Result.GetProperty("accuracy").GetDouble());
        Assert.Equal(UplinkStatus.Gone, _workers.Post(token, 0, []).Status); // over: the worker must stop
    }

    [Fact]
    public async Task ATokenOpensOnlyItsOwnLaunch_AndNothingForgedOrExpired()
    {
        var scheduler = new FakeScheduler(_workers, _time);
        var first = Launch();
        using var old = await scheduler.StartAsync(first, CancellationToken.None);
        var oldToken = TokenOf(first);
        old.Dispose(); // the lab moved on (it restarted, or the attempt was interrupted and launched again under its number)
        var again = Launch();
        using var current = await scheduler.StartAsync(again, CancellationToken.None);

        Assert.Equal(UplinkStatus.Gone, _workers.Post(oldToken, 0, []).Status);
        Assert.Equal(UplinkStatus.Ok, _workers.Post(TokenOf(again), 0, []).Status);
        Assert.Equal(UplinkStatus.BadTask, _workers.Post(TokenOf(again), 1, []).Status);
        Assert.Equal(UplinkStatus.Unauthorized, _workers.Post(TokenOf(again)[..^4] + "AAAA", 0, []).Status);
        Assert.Equal(UplinkStatus.Unauthorized, _workers.Post("not a token", 0, []).Status);
        var expired = _workers.Tokens.Issue(WorkerKey.New("job_1", 1), DateTimeOffset.UtcNow.AddSeconds(-1));
        Assert.Equal(UplinkStatus.Unauthorized, _workers.Post(expired, 0, []).Status);
    }

    [Fact]
    public async Task AnArray_EndsWhenEveryTaskHas_AndAFailedTaskSpeaksForIt()
    {
        // (Combining the tasks' results in order is checked end to end in the Slurm tests, with real sweep results.)
        var scheduler = new FakeScheduler(_workers, _time);
        var launch = Launch("sweep", tasks: 2);
        using var worker = await scheduler.StartAsync(launch, CancellationToken.None);
        var token = TokenOf(launch);

        _workers.Post(token, 1, [Line(new WorkerFailure("point 1 ran out of memory", Retryable: true)), Line(new WorkerExited(WorkerExit.Failed))]);
        Assert.False(worker.WaitForExitAsync().IsCompleted); // task 0 still runs
        Assert.True(worker.Send(WorkerCommands.Stop)); // ... and still takes commands
        Assert.Equal([WorkerCommands.Stop], _workers.Post(token, 0, []).Commands);
        Assert.Equal([], _workers.Post(token, 1, []).Commands);

        _workers.Post(token, 0, [Line(new WorkerResult(JsonSerializer.SerializeToElement(new { }))), Line(new WorkerExited(WorkerExit.Succeeded))]);
        Assert.Equal(WorkerExit.Failed, (await worker.WaitForExitAsync()).Code);
        var failure = Assert.IsType<WorkerFailure>((await worker.MessagesAsync().ToListAsync())[^1]);
        Assert.Equal("point 1 ran out of memory", failure.Message);
    }

    [Fact]
    public async Task ATaskTheSchedulerEnded_EndsTheAttemptAsTheSchedulerSays_AfterAGraceForItsLastPost()
    {
        var scheduler = new FakeScheduler(_workers, _time);
        var launch = Launch();
        using var worker = await scheduler.StartAsync(launch, CancellationToken.None);
        scheduler.Tasks = [new TaskView(false, new WorkerEnd(WorkerExit.Interrupted, "Slurm ended the job (NODE_FAIL)"))];
        await Task.Delay(1500); // a poll sees the end: the grace starts
        Assert.False(worker.WaitForExitAsync().IsCompleted); // the worker may still post how it ended
        _time.Advance(TimeSpan.FromSeconds(3));
        var end = await worker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal((WorkerExit.Interrupted, "Slurm ended the job (NODE_FAIL)"), (end.Code, end.Reason));
    }

    [Fact]
    public async Task Abandon_TellsTheWorker_AndAsksTheSchedulerToEndIt_Once()
    {
        var scheduler = new FakeScheduler(_workers, _time);
        var launch = Launch();
        using var worker = await scheduler.StartAsync(launch, CancellationToken.None);
        worker.Abandon(WorkerCommands.Cancel, TimeSpan.FromSeconds(15));
        worker.Abandon(WorkerCommands.Cancel, TimeSpan.FromSeconds(15));
        Assert.Equal([WorkerCommands.Cancel], _workers.Post(TokenOf(launch), 0, []).Commands);
        for (int i = 0; i < 100 && scheduler.Cancels == 0; i++)
            await Task.Delay(10);
        Assert.Equal(1, scheduler.Cancels);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
