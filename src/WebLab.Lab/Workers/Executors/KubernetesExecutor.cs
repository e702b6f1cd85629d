using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace WebLab.Lab.Workers.Executors;

/// <summary>
/// Runs attempts as Kubernetes Jobs (batch/v1), one per attempt, a sweep as an Indexed Job (one pod per point).
/// Kubernetes never retries (backoffLimit 0, restartPolicy Never): the lab decides, as with Slurm's --no-requeue.
/// Workers read their job file from the data volume and post their events to the lab; the lab reads the Job and its
/// pods only for ends the worker could not post (evicted, out of memory, deadline, an image that cannot be pulled).
/// </summary>
/// <param name="dataRoot">The lab's data folder; pods mount the data volume at this same path.</param>
/// <param name="client">The API client (the executor disposes it).</param>
public sealed partial class KubernetesExecutor(KubernetesOptions options, string dataRoot, IKubernetes client, RemoteWorkers registry,
    Func<string> labUrl, TimeProvider time, ILogger log)
    : RemoteExecutor(registry, labUrl, options.PollInterval, time, log), IDisposable
{
    /// <summary>
    /// Jobs this lab deleted because a pod could not start, with why: once gone from the API server they must read as
    /// that failure, not as a Job deleted from outside (which requeues without spending an attempt, forever). An entry
    /// per failed start, kept until the lab restarts.
    /// </summary>
    private readonly ConcurrentDictionary<string, WorkerEnd> _stopped = new();

    private readonly string _dataRoot = Path.GetFullPath(dataRoot);

    public override string Name => "kubernetes";

    public override int Slots => options.MaxJobs;

    public override bool Gpus => options.GpusPerJob > 0;

    protected override async Task<string> SubmitAsync(WorkerLaunch launch, CancellationToken cancellationToken)
    {
        var created = await CallAsync("create the Job", () => client.BatchV1.CreateNamespacedJobAsync(Manifest(launch), options.Namespace, cancellationToken: cancellationToken));
        return created.Metadata.Name;
    }

    protected override async Task<IReadOnlyList<TaskView>> QueryAsync(RemoteWorker worker, CancellationToken cancellationToken)
    {
        var name = worker.SchedulerId;
        var job = await ReadJobAsync(name, cancellationToken);
        if (job is null && _stopped.TryGetValue(name, out var stopped))
            return Enumerable.Repeat(new TaskView(false, stopped), worker.Launch.Tasks).ToList();
        IReadOnlyList<V1Pod> pods = job is null ? [] : await PodsAsync(name, cancellationToken);
        if (pods.Select(KubernetesStates.CannotStart).FirstOrDefault(r => r is not null) is { } why)
        {
            // A pod waiting for an image that will not come still holds its node's GPU: end the Job now.
            _stopped[name] = new WorkerEnd(WorkerExit.Failed, why);
            await CancelAsync(worker, cancellationToken);
        }
        return KubernetesStates.Tasks(job, pods, worker.Launch.Tasks);
    }

    /// <summary>Deletes the Job; Background propagation deletes its pods, whose workers get SIGTERM and their grace.</summary>
    protected override async Task CancelAsync(RemoteWorker worker, CancellationToken cancellationToken)
    {
        try
        {
            await CallAsync("delete the Job", () => client.BatchV1.DeleteNamespacedJobAsync(worker.SchedulerId, options.Namespace,
                new V1DeleteOptions { PropagationPolicy = "Background" }, propagationPolicy: "Background", cancellationToken: cancellationToken));
        }
        catch (InvalidOperationException e) when (e.InnerException is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound })
        {
            // already gone
        }
    }

    /// <summary>The last lines of the attempt's pod logs. Asked synchronously on a failure; a slow API server costs at most 10 s.</summary>
    protected internal override string OutputTail(RemoteWorker worker)
    {
        var read = Task.Run(async () =>
        {
            var lines = new List<string>();
            foreach (var pod in await PodsAsync(worker.SchedulerId, CancellationToken.None))
            {
                await using var log = await client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, options.Namespace, tailLines: 20);
                using var reader = new StreamReader(log);
                lines.AddRange((await reader.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries));
            }
            return string.Join('\n', lines.TakeLast(40));
        });
        try
        {
            return read.Wait(TimeSpan.FromSeconds(10)) ? read.Result : "";
        }
        catch (AggregateException e)
        {
            Log.LogWarning(e.InnerException, "Could not read the logs of {Worker}", worker.Id);
            return "";
        }
    }

    private async Task<V1Job?> ReadJobAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return await CallAsync("read the Job", () => client.BatchV1.ReadNamespacedJobAsync(name, options.Namespace, cancellationToken: cancellationToken));
        }
        catch (InvalidOperationException e) when (e.InnerException is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound })
        {
            return null;
        }
    }

    /// <summary>The pods of Job <paramref name="job"/>.</summary>
    private async Task<IReadOnlyList<V1Pod>> PodsAsync(string job, CancellationToken cancellationToken) =>
        (await CallAsync("list the pods", () => client.CoreV1.ListNamespacedPodAsync(options.Namespace, labelSelector: $"{JobNameLabel}={job}", cancellationToken: cancellationToken))).Items.ToList();

    /// <summary>
    /// Runs an API call, its refusals and timeouts as the exceptions the lab handles for every scheduler (the runner
    /// retries a refused start later; the watcher asks again at the next poll).
    /// </summary>
    private static async Task<T> CallAsync<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (HttpOperationException e)
        {
            throw new InvalidOperationException($"the Kubernetes API server refused to {what}: {(int)e.Response.StatusCode} {e.Response.ReasonPhrase} {e.Response.Content}".Trim(), e);
        }
        catch (TaskCanceledException e) when (e.InnerException is TimeoutException)
        {
            throw new TimeoutException($"the Kubernetes API server did not answer ({what})", e);
        }
    }

    public void Dispose() => client.Dispose();
}
