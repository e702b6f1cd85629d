using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Training;

namespace WebLab.Lab;

/// <summary>
/// First start: when the lab has no built-in demo source checkpoint, queue its pretraining job (progress visible
/// like any other job). Nothing to install: the demo data is Fashion-MNIST from the catalogue.
/// </summary>
public sealed class LabBootstrap(JobRunner runner, JobStore jobs, CheckpointStore checkpoints, IOptions<LabOptions> options, ILogger<LabBootstrap> log)
    : IHostedService
{
    /// <summary>Idempotency-key prefix of the demo source's pretraining jobs; their checkpoint is marked built-in.</summary>
    public const string DemoSourceKey = "builtin-demo-source";

    /// <summary>Owner of the lab's own jobs.</summary>
    public const string LabOwner = "weblab";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.CreateDemoSource || await checkpoints.BuiltinAsync(cancellationToken) is not null)
            return;
        var pending = (await jobs.ListAsync(kind: JobKinds.Pretrain, owner: LabOwner, cancellationToken: cancellationToken))
            .FirstOrDefault(j => !j.IsFinished && j.IdempotencyKey?.StartsWith(DemoSourceKey, StringComparison.Ordinal) == true);
        if (pending is not null)
            return;
        var spec = Demo.Source(output: "", device: "auto", epochs: options.Value.DemoSourceEpochs);
        var (job, _) = await runner.SubmitAsync(new JobSubmission(JobKinds.Pretrain, LabOwner, "Built-in demo source: " + Demo.SourceName,
            JsonSerializer.Serialize(spec, WebLabJson.Compact), Priority: 10, IdempotencyKey: $"{DemoSourceKey}:{Storage.Ids.New("key")}"), cancellationToken);
        log.LogInformation("no built-in demo source yet: queued its pretraining as {Job}", job.Id);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
