using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using WebLab.Lab.Tests.Workers.Executors;
using WebLab.Lab.Workers.Executors;
using WebLab.Tests;

namespace WebLab.Web.Tests;

/// <summary>
/// A real lab whose training runs through the Kubernetes executor and the real KubernetesClient, against
/// <see cref="FakeKubernetes"/> with <see cref="FakeKubelet"/> running each Job's pods as local worker processes: the
/// workers read their job files from the data folder and post their events to the lab over HTTP. No real API server,
/// scheduler, kubelet, image or volume is involved (docs/kubernetes.md says what that leaves untested).
/// </summary>
public sealed class KubernetesFixture : IAsyncLifetime
{
    private readonly TempDir _data = new();
    private readonly TempDir _cluster = new();

    public FakeKubernetes Api { get; private set; } = null!;

    public FakeKubelet Kubelet { get; private set; } = null!;

    public LabProcess Lab { get; private set; } = null!;

    public string Source { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Api = await FakeKubernetes.StartAsync(_cluster.Path);
        Kubelet = new FakeKubelet(Api);
        Lab = new LabProcess(_data.Path, new Dictionary<string, string>
        {
            ["WebLab__Executor"] = "Kubernetes",
            ["WebLab__Kubernetes__Kubeconfig"] = Api.Kubeconfig,
            ["WebLab__Kubernetes__Namespace"] = "weblab",
            ["WebLab__Kubernetes__DataClaim"] = "weblab-data",
            ["WebLab__Kubernetes__PollInterval"] = "00:00:01",
            ["WebLab__Kubernetes__MaxJobs"] = "2",
            // The "image" is this machine: the worker the tests built, started with this dotnet.
            ["WebLab__Kubernetes__WorkerCommand__0"] = WebLab.Lab.Workers.WorkerProcess.DotnetHost(),
            ["WebLab__Kubernetes__WorkerCommand__1"] = Path.Combine(AppContext.BaseDirectory, "weblab.dll"),
        });
        Source = await Lab.PretrainTinySourceAsync();
    }

    public async Task DisposeAsync()
    {
        Lab.Dispose();
        Kubelet.Dispose();
        await Api.DisposeAsync();
        _data.Dispose();
        _cluster.Dispose();
    }
}

[CollectionDefinition("kubernetes")]
public sealed class KubernetesGroup : ICollectionFixture<KubernetesFixture>;

[Collection("kubernetes")]
public sealed class KubernetesTests(KubernetesFixture fixture)
{
    private LabProcess Lab => fixture.Lab;


    /// <summary>The Kubernetes Jobs the lab created for lab job <paramref name="id"/>, oldest first.</summary>
    private List<k8s.Models.V1Job> Jobs(string id) =>
        fixture.Api.Jobs().Where(j => j.Metadata.Labels[KubernetesExecutor.JobLabel] == id).OrderBy(j => j.Metadata.CreationTimestamp).ToList();

    /// <summary>The Jobs once every one has ended (a worker posts its exit before its process, and so its pod, ends).</summary>
    private async Task<List<k8s.Models.V1Job>> EndedAsync(string id)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(250))
        {
            if (Jobs(id) is { Count: > 0 } jobs && jobs.All(j => Has(j, "Complete") || Has(j, "Failed")))
                return jobs;
        }
        throw new TimeoutException($"the Kubernetes Jobs of {id} did not end");
    }

    private static bool Has(k8s.Models.V1Job job, string condition) => job.Status?.Conditions?.Any(c => c.Type == condition && c.Status == "True") == true;

    [Fact]
    public async Task Experiment_OnKubernetes_Succeeds_WithItsWorkerPostingOverHttp()
    {
        var id = (await Lab.SubmitAsync(LabProcess.SmallExperiment(fixture.Source))).GetProperty("id").GetString()!;
        var done = await Lab.FinishedAsync(id, seconds: 300);

        Assert.Equal("succeeded", LabProcess.State(done));
        var job = Assert.Single(await EndedAsync(id));
        Assert.True(Has(job, "Complete"));
        Assert.Equal(0, job.Spec.BackoffLimit);
        Assert.Equal(Lab.DataDirectory, job.Spec.Template.Spec.Containers.Single().VolumeMounts.Single().MountPath);
        var events = await Lab.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}/events");
        Assert.Contains(events.EnumerateArray(), e => e.GetProperty("type").GetString() == "progress"); // streamed back over HTTP
        // The checkpoint the worker wrote on the shared folder is registered like a local one.
        Assert.Equal(HttpStatusCode.OK, (await Lab.Http.GetAsync($"/api/checkpoints/ckpt_{id["job_".Length..]}")).StatusCode);
    }

    [Fact]
    public async Task Sweep_RunsAsAnIndexedJob_OnePodPerPoint()
    {
        var job = await Lab.SubmitAsync(LabProcess.TwoPointSweep(fixture.Source));
        var id = job.GetProperty("id").GetString()!;
        var done = await Lab.FinishedAsync(id, seconds: 300);

        Assert.Equal("succeeded", LabProcess.State(done));
        var points = done.GetProperty("result").GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(["5", "10"], points.Select(p => p.GetProperty("settings").GetProperty("perClass").GetString()));
        var kube = Assert.Single(await EndedAsync(id)); // one Job, two pods
        Assert.Equal("Indexed", kube.Spec.CompletionMode);
        Assert.Equal(2, kube.Status.Succeeded);
        var events = await Lab.Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}/events");
        Assert.Equal(2, events.EnumerateArray().Count(e => e.GetProperty("type").GetString() == "point-finished"));
    }

    [Fact]
    public async Task Cancel_DeletesTheJob()
    {
        var id = await Lab.RunningWithProgressAsync(fixture.Source, 20);
        var name = Assert.Single(Jobs(id)).Metadata.Name;

        var response = await Lab.Http.PostAsync($"/api/jobs/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("cancelled", LabProcess.State(await Lab.FinishedAsync(id)));
        // The lab marks the job cancelled at once, then tells the worker and deletes its Job.
        for (var deadline = DateTime.UtcNow.AddSeconds(30); fixture.Api.Job(name) is not null; await Task.Delay(100))
            Assert.True(DateTime.UtcNow < deadline, $"the lab did not delete Job {name}");
        Assert.Contains(fixture.Api.Requests, r => r.Method == "DELETE" && r.Path.StartsWith($"/apis/batch/v1/namespaces/weblab/jobs/{name}?", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PodEvictedMidRun_IsRequeued_WithoutSpendingAnAttempt_AndCompletes()
    {
        var id = await Lab.RunningWithProgressAsync(fixture.Source, 20);
        var evicted = fixture.Kubelet.Evict(id);

        var done = await Lab.FinishedAsync(id, seconds: 300);

        Assert.Equal("succeeded", LabProcess.State(done));
        var jobs = await EndedAsync(id);
        Assert.Equal(2, jobs.Count); // the same attempt again, as a new Job
        Assert.Equal(evicted, jobs[0].Metadata.Name);
        Assert.Equal("PodFailurePolicy", jobs[0].Status.Conditions.Single().Reason);
        Assert.True(Has(jobs[1], "Complete"));
        var reasons = done.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("reason").GetString() ?? "").ToList();
        Assert.Contains(reasons, r => r.StartsWith("interrupted:", StringComparison.Ordinal));
        Assert.Equal(1, done.GetProperty("job").GetProperty("attempt").GetInt32());
    }

}
