using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace WebLab.Lab.Tests.Workers.Executors;

/// <summary>
/// A fake Kubernetes API server: Kestrel on a loopback port serving the few calls the Kubernetes executor makes
/// (create, read and delete a namespaced Job; list pods by label selector; a pod's log) with the real client's JSON.
/// It records every request, and tests set the Jobs' and pods' status as the Job controller and kubelet would. No
/// scheduler, kubelet or controller runs: a created Job has no pods until a test (or <see cref="OnCreated"/>) adds them.
/// </summary>
public sealed class FakeKubernetes : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, V1Job> _jobs = [];
    private readonly Dictionary<string, V1Pod> _pods = [];
    private readonly Dictionary<string, string> _logs = [];

    private FakeKubernetes(WebApplication app, string kubeconfig)
    {
        _app = app;
        Kubeconfig = kubeconfig;
    }

    /// <summary>A kubeconfig file naming this server (the executor's WebLab:Kubernetes:Kubeconfig).</summary>
    public string Kubeconfig { get; }

    /// <summary>Every request: method, path and query, body.</summary>
    public ConcurrentQueue<(string Method, string Path, string Body)> Requests { get; } = new();

    /// <summary>Answer Job creation with this status instead (403: RBAC, 422: an invalid manifest).</summary>
    public HttpStatusCode? RefuseCreate { get; set; }

    /// <summary>Called after a Job was created (the e2e tests run its pods as local processes).</summary>
    public Action<V1Job>? OnCreated { get; set; }

    /// <summary>Called after a Job was deleted, with its pods (the e2e tests send their processes SIGTERM).</summary>
    public Action<V1Job, IReadOnlyList<V1Pod>>? OnDeleted { get; set; }

    /// <summary>Starts the server on a free loopback port and writes its kubeconfig into <paramref name="folder"/>.</summary>
    public static async Task<FakeKubernetes> StartAsync(string folder)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var kubeconfig = Path.Combine(folder, "kubeconfig");
        var fake = new FakeKubernetes(app, kubeconfig);
        fake.Map(app);
        await app.StartAsync();
        var url = app.Urls.Single();
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: fake
              cluster:
                server: {url}
            users:
            - name: lab
              user:
                token: fake-token
            contexts:
            - name: fake
              context:
                cluster: fake
                user: lab
            current-context: fake
            """);
        return fake;
    }

    /// <summary>The Jobs created so far (as the API server stores them), by name.</summary>
    public V1Job? Job(string name)
    {
        lock (_gate)
            return _jobs.GetValueOrDefault(name);
    }

    public List<V1Job> Jobs()
    {
        lock (_gate)
            return _jobs.Values.ToList();
    }

    /// <summary>Sets a Job's status, as the Job controller does.</summary>
    public void SetStatus(string job, V1JobStatus status)
    {
        lock (_gate)
            _jobs[job].Status = status;
    }

    /// <summary>Adds or replaces a pod of <paramref name="job"/> for task <paramref name="index"/> (labels from its template).</summary>
    public V1Pod SetPod(string job, int index, V1PodStatus status, string? log = null)
    {
        lock (_gate)
        {
            var template = _jobs[job].Spec.Template;
            var name = $"{job}-{index}";
            var pod = new V1Pod
            {
                ApiVersion = "v1",
                Kind = "Pod",
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    NamespaceProperty = _jobs[job].Metadata.NamespaceProperty,
                    Labels = new Dictionary<string, string>(template.Metadata.Labels),
                    Annotations = new Dictionary<string, string> { ["batch.kubernetes.io/job-completion-index"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    CreationTimestamp = DateTime.UtcNow,
                },
                Spec = template.Spec,
                Status = status,
            };
            _pods[name] = pod;
            if (log is not null)
                _logs[name] = log;
            return pod;
        }
    }

    /// <summary>The created Job as it went over the wire (the executor's manifest).</summary>
    public V1Job Posted(string name) =>
        Requests.Where(r => r.Method == "POST").Select(r => KubernetesJson.Deserialize<V1Job>(r.Body)).Single(j => j.Metadata.Name == name);

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            context.Request.EnableBuffering();
            using var reader = new StreamReader(context.Request.Body, leaveOpen: true);
            Requests.Enqueue((context.Request.Method, context.Request.Path + context.Request.QueryString, await reader.ReadToEndAsync()));
            context.Request.Body.Position = 0;
            await next(context);
        });
        const string jobs = "/apis/batch/v1/namespaces/{ns}/jobs";
        app.MapPost(jobs, CreateAsync);
        app.MapGet(jobs + "/{name}", (string name) => Answer(Job(name), "jobs", name));
        app.MapDelete(jobs + "/{name}", Delete);
        app.MapGet("/api/v1/namespaces/{ns}/pods", (string ns, string? labelSelector) => Json(new V1PodList { ApiVersion = "v1", Kind = "PodList", Items = Pods(labelSelector) }));
        app.MapGet("/api/v1/namespaces/{ns}/pods/{name}/log", (string name, int? tailLines) =>
        {
            lock (_gate)
                return _logs.TryGetValue(name, out var log) ? Results.Text(string.Join('\n', log.Split('\n').TakeLast(tailLines ?? int.MaxValue))) : Missing("pods", name);
        });
    }

    private async Task<IResult> CreateAsync(string ns, HttpRequest request)
    {
        if (RefuseCreate is { } refusal)
            return Status((int)refusal, "Forbidden", $"jobs.batch is forbidden: the fake refuses ({(int)refusal})");
        using var reader = new StreamReader(request.Body);
        var job = KubernetesJson.Deserialize<V1Job>(await reader.ReadToEndAsync());
        lock (_gate)
        {
            if (_jobs.ContainsKey(job.Metadata.Name))
                return Status(409, "AlreadyExists", $"jobs.batch \"{job.Metadata.Name}\" already exists");
            job.Metadata.NamespaceProperty = ns;
            job.Metadata.Uid = Guid.NewGuid().ToString();
            job.Metadata.CreationTimestamp = DateTime.UtcNow;
            job.Status = new V1JobStatus();
            _jobs[job.Metadata.Name] = job;
        }
        OnCreated?.Invoke(job);
        return Json(job, 201);
    }

    private IResult Delete(string name)
    {
        V1Job? job;
        List<V1Pod> pods;
        lock (_gate)
        {
            if (!_jobs.Remove(name, out job))
                return Missing("jobs", name);
            pods = _pods.Values.Where(p => p.Metadata.Name.StartsWith(name + "-", StringComparison.Ordinal)).ToList();
            foreach (var pod in pods)
                _pods.Remove(pod.Metadata.Name);
        }
        OnDeleted?.Invoke(job, pods);
        return StatusJson(new { apiVersion = "v1", kind = "Status", status = "Success" });
    }

    /// <summary>Pods whose labels hold every "key=value" of the selector.</summary>
    private List<V1Pod> Pods(string? selector)
    {
        var wanted = (selector ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).ToList();
        lock (_gate)
            return _pods.Values.Where(p => wanted.All(w => p.Metadata.Labels.TryGetValue(w[0], out var v) && v == w[1])).ToList();
    }

    private static IResult Answer(object? value, string kind, string name) => value is null ? Missing(kind, name) : Json(value);

    private static IResult Missing(string kind, string name) => Status(404, "NotFound", $"{kind} \"{name}\" not found");

    private static IResult Status(int code, string reason, string message) =>
        StatusJson(new { apiVersion = "v1", kind = "Status", status = "Failure", code, reason, message }, code);

    /// <summary>A v1 Status as plain JSON: the client's converter for V1Status reads but cannot write.</summary>
    private static IResult StatusJson(object status, int code = 200) => Results.Text(JsonSerializer.Serialize(status), "application/json", statusCode: code);

    private static IResult Json(object value, int status = 200) => Results.Text(KubernetesJson.Serialize(value), "application/json", statusCode: status);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
