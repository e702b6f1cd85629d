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
/// like any other job). Nothing to install: the demo data is Fashion-MNIST from the catalogue. Likewise the zoo's
/// ImageNet ResNet-18: a quick conversion job from files that ship with WebLab.
/// </summary>
public sealed class LabBootstrap(LabCommands commands, JobStore jobs, CheckpointStore checkpoints, IOptions<LabOptions> options, ILogger<LabBootstrap> log)
    : IHostedService
{
    /// <summary>Idempotency-key prefix of the demo source's pretraining jobs; their checkpoint is marked built-in.</summary>
    public const string DemoSourceKey = "builtin-demo-source";

    /// <summary>Idempotency-key prefix of the zoo source's installation jobs; their checkpoint is marked built-in too.</summary>
    public const string ZooSourceKey = "builtin-zoo-source";

    /// <summary>True for the lab's pretraining of its demo source (its checkpoint is the built-in one).</summary>
    public static bool IsDemoSourceJob(JobRecord job) => IsLabJob(job, DemoSourceKey);

    /// <summary>True for the lab's own source jobs (demo pretraining, zoo installation): their checkpoints are built-in.</summary>
    public static bool IsBuiltinSourceJob(JobRecord job) => IsDemoSourceJob(job) || IsLabJob(job, ZooSourceKey);

    private static bool IsLabJob(JobRecord job, string key) =>
        job.Owner == AccessPolicy.LabOwner && job.IdempotencyKey?.StartsWith($"{AccessPolicy.LabOwner}:{key}", StringComparison.Ordinal) == true;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await InstallZooSourceAsync(cancellationToken);
        await CreateDemoSourceAsync(cancellationToken);
    }

    private async Task InstallZooSourceAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.InstallZooSource || await checkpoints.BuiltinOfKindAsync(ZooInstallKind.Id, cancellationToken) is not null)
            return;
        var jobsOfKind = await jobs.ListAsync(kind: ZooInstallKind.Id, owner: AccessPolicy.LabOwner, cancellationToken: cancellationToken);
        if (jobsOfKind.Any(j => !j.IsFinished && IsBuiltinSourceJob(j)))
            return;
        var (job, _) = await commands.SubmitAsync(JobKinds.Of<ZooInstallKind>(), new ZooInstallSpec(Checkpoints.Zoo.ModelZoo.ResNet18ImageNet), Caller.Lab,
            "Built-in source: ResNet-18 (ImageNet)", priority: 10, idempotencyKey: $"{ZooSourceKey}:{Storage.Ids.New("key", jobs.Time)}",
            cancellationToken: cancellationToken);
        log.LogInformation("no built-in ImageNet source yet: queued its installation as {Job}", job.Id);
    }

    private async Task CreateDemoSourceAsync(CancellationToken cancellationToken)
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
