using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;
using WebLab.Lab.Jobs;
using WebLab.Lab.Workers;
using WebLab.Lab.Workers.Executors;

namespace WebLab.Lab.Tests.Workers.Executors;

/// <summary>The Kubernetes executor against <see cref="FakeKubernetes"/>: the manifests it sends, its deletes, and how it reads ends.</summary>
public sealed class KubernetesExecutorTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "weblab-k8s-test-" + Guid.NewGuid().ToString("N")[..12]);
    private FakeKubernetes _api = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _api = await FakeKubernetes.StartAsync(_folder);
    }

    public async Task DisposeAsync()
    {
        await _api.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private KubernetesExecutor Executor(Action<KubernetesOptions>? configure = null)
    {
        var options = new KubernetesOptions
        {
            Namespace = "lab",
            Image = "registry.example/weblab:1",
            Kubeconfig = _api.Kubeconfig,
            GpusPerJob = 1,
            CpuRequest = "2",
            MemoryLimit = "8Gi",
            DataClaim = "weblab-data",
            PollInterval = TimeSpan.FromMilliseconds(50),
        };
        configure?.Invoke(options);
        var tokens = new AttemptTokens(new EphemeralDataProtectionProvider());
        return new KubernetesExecutor(options, _folder, new Kubernetes(options.ClientConfiguration()), new RemoteWorkers(tokens),
            () => "http://lab.example:5180", TimeProvider.System, NullLogger.Instance);
    }

    private WorkerLaunch Launch(int tasks = 1, int attempt = 2)
    {
        var id = "job_0abc" + Guid.NewGuid().ToString("N")[..8];
        var output = Path.Combine(_folder, "jobs", id);
        Directory.CreateDirectory(output);
        var job = new JobRecord
        {
            Id = id, Kind = tasks > 1 ? "sweep" : "experiment", Owner = "u", Name = "n", SpecJson = "{}", State = JobState.Running,
            Lane = "train", CreatedAt = "2025-01-01T00:00:00Z", Attempt = attempt,
        };
        var input = new WorkerJob(id, job.Kind, "auto", output, JsonDocument.Parse("{}").RootElement);
        var env = new Dictionary<string, string> { ["WEBLAB_CACHE"] = Path.Combine(_folder, "cache"), ["WEBLAB_JOB"] = id };
        return new WorkerLaunch(job, input, tasks, env, DateTimeOffset.UtcNow.AddMinutes(30));
    }

    [Fact]
    public async Task Start_CreatesOneJob_ThatKubernetesNeverRetries()
    {
        using var executor = Executor();
        var launch = Launch();
        using var worker = await executor.StartAsync(launch, CancellationToken.None);

        var name = ((RemoteWorker)worker).SchedulerId;
        Assert.Matches($"^{KubernetesExecutor.JobName(launch.Job.Id, 2)}-[a-z0-9]{{5}}$", name);
        Assert.Equal($"kubernetes {name}", worker.Id);
        var job = _api.Posted(name);
        Assert.Contains(_api.Requests, r => r.Method == "POST" && r.Path == "/apis/batch/v1/namespaces/lab/jobs");
        Assert.Equal(0, job.Spec.BackoffLimit);
        Assert.InRange(job.Spec.ActiveDeadlineSeconds!.Value, 29 * 60, 30 * 60);
        Assert.Equal("NonIndexed", job.Spec.CompletionMode);
        Assert.Equal(1, job.Spec.Completions);
        Assert.Equal("DisruptionTarget", job.Spec.PodFailurePolicy.Rules.Single().OnPodConditions.Single().Type);
        Assert.Equal(launch.Job.Id, job.Metadata.Labels[KubernetesExecutor.JobLabel]);
        Assert.Equal("2", job.Spec.Template.Metadata.Labels[KubernetesExecutor.AttemptLabel]);
        Assert.Equal(name, job.Spec.Template.Metadata.Labels[KubernetesExecutor.JobNameLabel]); // how its pods are found
        var pod = job.Spec.Template.Spec;
        Assert.Equal("Never", pod.RestartPolicy);
        Assert.Equal("weblab-data", pod.Volumes.Single().PersistentVolumeClaim.ClaimName);
        var container = pod.Containers.Single();
        Assert.Equal("registry.example/weblab:1", container.Image);
        Assert.Equal(["dotnet", "/app/weblab.dll", "worker", "--job", launch.JobFile], container.Command);
        Assert.Equal(_folder, container.VolumeMounts.Single().MountPath); // the job file's path means the same in the pod
        Assert.Equal("1", container.Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal("8Gi", container.Resources.Limits["memory"].ToString());
        Assert.Equal("2", container.Resources.Requests["cpu"].ToString());
        var env = container.Env.ToDictionary(e => e.Name, e => e.Value);
        Assert.Equal(WebLab.Runtime.NativeAllocator.GlibcTunables, env["GLIBC_TUNABLES"]);
        Assert.Equal(launch.Job.Id, env["WEBLAB_JOB"]);
        Assert.Equal(Path.Combine(_folder, "cache"), env["WEBLAB_CACHE"]);
        // The worker finds the lab and its attempt token in the job file on the shared volume.
        var file = JsonDocument.Parse(await File.ReadAllTextAsync(launch.JobFile)).RootElement;
        Assert.Equal("http://lab.example:5180", file.GetProperty("uplink").GetProperty("url").GetString());
    }

    [Fact]
    public async Task Start_WithoutGpus_AsksForNoGpu()
    {
        using var executor = Executor(o => o.GpusPerJob = 0);
        var launch = Launch();
        using var worker = await executor.StartAsync(launch, CancellationToken.None);

        var limits = _api.Posted(((RemoteWorker)worker).SchedulerId).Spec.Template.Spec.Containers.Single().Resources.Limits;
        Assert.False(limits.ContainsKey("nvidia.com/gpu"));
        Assert.True(limits.ContainsKey("memory"));
        Assert.False(executor.Gpus);
    }

    [Fact]
    public async Task Sweep_RunsAsAnIndexedJob_OnePodPerPoint()
    {
        using var executor = Executor();
        var launch = Launch(tasks: 3);
        using var worker = await executor.StartAsync(launch, CancellationToken.None);

        var job = _api.Posted(((RemoteWorker)worker).SchedulerId);
        Assert.Equal("Indexed", job.Spec.CompletionMode);
        Assert.Equal(3, job.Spec.Completions);
        Assert.Equal(3, job.Spec.Parallelism);
        Assert.Equal(0, job.Spec.BackoffLimit);
        var container = job.Spec.Template.Spec.Containers.Single();
        Assert.Equal(["--task", "$(JOB_COMPLETION_INDEX)"], container.Command.TakeLast(2));
        var index = container.Env.Single(e => e.Name == "JOB_COMPLETION_INDEX");
        Assert.Equal($"metadata.annotations['{KubernetesExecutor.IndexAnnotation}']", index.ValueFrom.FieldRef.FieldPath);
    }

    [Fact]
    public async Task Kill_DeletesTheJob_SoItsPodsGetSigterm()
    {
        using var executor = Executor();
        var launch = Launch();
        using var worker = await executor.StartAsync(launch, CancellationToken.None);
        var name = ((RemoteWorker)worker).SchedulerId;

        worker.Kill();

        await Until(() => _api.Job(name) is null);
        var delete = _api.Requests.Single(r => r.Method == "DELETE");
        Assert.Equal($"/apis/batch/v1/namespaces/lab/jobs/{name}", delete.Path.Split('?')[0]);
        Assert.Contains("propagationPolicy=Background", delete.Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameAttemptStartedTwice_GetsTwoJobs()
    {
        using var executor = Executor();
        var launch = Launch();
        using var first = await executor.StartAsync(launch, CancellationToken.None);
        using var second = await executor.StartAsync(launch, CancellationToken.None); // an interruption requeues without a new attempt

        Assert.NotEqual(((RemoteWorker)first).SchedulerId, ((RemoteWorker)second).SchedulerId);
        Assert.Equal(2, _api.Jobs().Count);
    }

    [Fact]
    public async Task Start_WhenTheApiServerRefuses_Throws_SoTheRunnerRetriesLater()
    {
        _api.RefuseCreate = HttpStatusCode.Forbidden;
        using var executor = Executor();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => executor.StartAsync(Launch(), CancellationToken.None));

        Assert.Contains("403", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvictedPod_EndsTheAttempt_AsAnInterruption()
    {
        using var executor = Executor();
        var launch = Launch();
        using var worker = await executor.StartAsync(launch, CancellationToken.None);
        var name = ((RemoteWorker)worker).SchedulerId;

        _api.SetPod(name, 0, new V1PodStatus { Phase = "Failed", Reason = "Evicted", Message = "The node was low on resource: memory." });

        var end = await worker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WorkerExit.Interrupted, end.Code); // requeued without spending an attempt
        Assert.Contains("Evicted", end.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OomKilledWorker_EndsWith137()
    {
        using var executor = Executor();
        var launch = Launch();
        using var worker = await executor.StartAsync(launch, CancellationToken.None);
        var name = ((RemoteWorker)worker).SchedulerId;

        _api.SetPod(name, 0, Terminated("Failed", 137, "OOMKilled"), log: "epoch 1\nloading tiles");

        var end = await worker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(137, end.Code);
        Assert.Contains("out of memory", end.Reason, StringComparison.Ordinal);
        Assert.Equal("epoch 1\nloading tiles", worker.StderrTail()); // the pod's log
    }

    [Fact]
    public async Task ImageThatCannotBePulled_FailsTheAttempt_AndDeletesItsJob()
    {
        using var executor = Executor();
        var launch = Launch();
        using var worker = await executor.StartAsync(launch, CancellationToken.None);
        var name = ((RemoteWorker)worker).SchedulerId;

        _api.SetPod(name, 0, new V1PodStatus
        {
            Phase = "Pending",
            ContainerStatuses = [new V1ContainerStatus { Name = "worker", State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ImagePullBackOff", Message = "Back-off pulling image" } } }],
        });

        var end = await worker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WorkerExit.Failed, end.Code); // an attempt spent: a wrong image is not an interruption
        Assert.Contains("ImagePullBackOff", end.Reason, StringComparison.Ordinal);
        Assert.Null(_api.Job(name)); // the pending pod no longer holds its GPU
    }

    [Fact]
    public async Task JobDeletedFromOutside_IsAnInterruption()
    {
        using var executor = Executor();
        var launch = Launch();
        using var worker = await executor.StartAsync(launch, CancellationToken.None);
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_api.Kubeconfig));

        await client.BatchV1.DeleteNamespacedJobAsync(((RemoteWorker)worker).SchedulerId, "lab");

        var end = await worker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WorkerExit.Interrupted, end.Code);
    }

    [Fact]
    public void JobName_IsADns1123Label_WithTheAttempt()
    {
        Assert.Equal("weblab-job-0abc123-3", KubernetesExecutor.JobName("job_0abc123", 3));
        var name = KubernetesExecutor.JobName("JOB_" + new string('x', 80), 12);
        Assert.True(name.Length <= 63 - "-xxxxx".Length);
        Assert.EndsWith("-12", name, StringComparison.Ordinal);
        Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name);
    }

    internal static V1PodStatus Terminated(string phase, int code, string reason) => new()
    {
        Phase = phase,
        ContainerStatuses = [new V1ContainerStatus { Name = "worker", State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = code, Reason = reason } } }],
    };

    private static async Task Until(Func<bool> condition)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(10); !condition(); await Task.Delay(20))
            Assert.True(DateTime.UtcNow < deadline, "timed out");
    }
}
