using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WebLab.Lab.Access;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Training;

namespace WebLab.Lab;

/// <summary>
/// First start: when the lab has no built-in demo source checkpoint, queue its pretraining job (progress visible
/// like any other job). Nothing to install: the demo data is Fashion-MNIST from the catalogue.
/// </summary>
public sealed class LabBootstrap(LabCommands commands, JobStore jobs, CheckpointStore checkpoints, IOptions<LabOptions> options, ILogger<LabBootstrap> log)
    : IHostedService
{
    /// <summary>Idempotency-key prefix of the demo source's pretraining jobs; their checkpoint is marked built-in.</summary>
    public const string DemoSourceKey = "builtin-demo-source";

    /// <summary>True for the lab's pretraining of its demo source (its checkpoint is the built-in one).</summary>
    public static bool IsDemoSourceJob(JobRecord job) =>
        job.Owner == AccessPolicy.LabOwner && job.IdempotencyKey?.StartsWith($"{AccessPolicy.LabOwner}:{DemoSourceKey}", StringComparison.Ordinal) == true;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.CreateDemoSource || await checkpoints.BuiltinAsync(cancellationToken) is not null)
            return;
        var pending = (await jobs.ListAsync(kind: PretrainKind.Id, owner: AccessPolicy.LabOwner, cancellationToken: cancellationToken))
            .FirstOrDefault(j => !j.IsFinished && IsDemoSourceJob(j));
        if (pending is not null)
            return;
        var spec = Demo.Source(output: "", device: "auto", epochs: options.Value.DemoSourceEpochs);
        var (job, _) = await commands.SubmitAsync(JobKinds.Of<PretrainKind>(), spec, Caller.Lab, "Built-in demo source: " + Demo.SourceName,
            priority: 10, idempotencyKey: $"{DemoSourceKey}:{Storage.Ids.New("key", jobs.Time)}", cancellationToken: cancellationToken);
        log.LogInformation("no built-in demo source yet: queued its pretraining as {Job}", job.Id);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
