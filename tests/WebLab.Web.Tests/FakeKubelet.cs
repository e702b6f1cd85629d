using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using k8s.Models;
using WebLab.Lab.Tests.Workers.Executors;
using WebLab.Lab.Workers.Executors;

namespace WebLab.Web.Tests;

/// <summary>
/// The node and Job controller behind <see cref="FakeKubernetes"/> for end-to-end tests: each created Job's pods run
/// its container's command as local processes (env resolved and $(VAR) expanded as the kubelet does, the completion
/// index from the pod's annotation), their exits become pod and Job status (Complete; Failed with BackoffLimitExceeded
/// as backoffLimit 0 makes it), a deleted Job's processes get SIGTERM, and <see cref="Evict"/> plays a node
/// draining a pod. No image is pulled: the command runs on this machine, seeing the lab's data folder at its own path.
/// </summary>
public sealed partial class FakeKubelet : IDisposable
{
    private readonly FakeKubernetes _api;
    private readonly ConcurrentDictionary<string, Pod> _pods = new();

    public FakeKubelet(FakeKubernetes api)
    {
        _api = api;
        api.OnCreated = Run;
        api.OnDeleted = (_, pods) =>
        {
            foreach (var pod in pods)
                if (_pods.TryGetValue(pod.Metadata.Name, out var running))
                    Terminate(running.Process);
        };
    }

    private sealed record Pod(string Job, string LabJob, int Index, Process Process, StringBuilder Log)
    {
        public bool Evicted { get; set; }
    }

    private void Run(V1Job job)
    {
        for (int index = 0; index < (job.Spec.Completions ?? 1); index++)
            Start(job, index);
    }

    private void Start(V1Job job, int index)
    {
        var name = job.Metadata.Name;
        var meta = _api.SetPod(name, index, new V1PodStatus { Phase = "Running" });
        var container = job.Spec.Template.Spec.Containers.Single();
        var env = container.Env.ToDictionary(e => e.Name, e => e.Value ?? FieldRef(meta, e.ValueFrom.FieldRef.FieldPath));
        var command = container.Command.Select(a => Reference().Replace(a, m => env.GetValueOrDefault(m.Groups[1].Value, m.Value))).ToList();
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1))
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in env)
            start.Environment[key] = value;
        var process = Process.Start(start)!;
        var pod = new Pod(name, job.Metadata.Labels[KubernetesExecutor.JobLabel], index, process, new StringBuilder());
        _pods[meta.Metadata.Name] = pod;
        process.OutputDataReceived += (_, e) => Append(pod, e.Data);
        process.ErrorDataReceived += (_, e) => Append(pod, e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => Exited(job, pod);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The pod's exit as the kubelet and the Job controller record it.</summary>
    private void Exited(V1Job job, Pod pod)
    {
        if (_api.Job(pod.Job) is null)
            return; // deleted: its pods are gone
        var code = pod.Process.ExitCode;
        var status = new V1PodStatus
        {
            Phase = code == 0 ? "Succeeded" : "Failed",
            Reason = pod.Evicted ? "Evicted" : null,
            Conditions = pod.Evicted ? [new V1PodCondition { Type = "DisruptionTarget", Status = "True", Reason = "TerminationByKubelet" }] : null,
            ContainerStatuses = [new V1ContainerStatus { Name = "worker", State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = code, Reason = code == 0 ? "Completed" : "Error" } } }],
        };
        lock (pod.Log)
            _api.SetPod(pod.Job, pod.Index, status, pod.Log.ToString());
        var ended = _pods.Values.Where(p => p.Job == pod.Job).ToList();
        if (pod.Evicted || code != 0)
        {
            var (reason, message) = pod.Evicted ? ("PodFailurePolicy", "Pod has condition DisruptionTarget matching FailJob rule at index 0") : ("BackoffLimitExceeded", "Job has reached the specified backoff limit");
            _api.SetStatus(pod.Job, new V1JobStatus { Failed = 1, Conditions = [new V1JobCondition { Type = "Failed", Status = "True", Reason = reason, Message = message }] });
            foreach (var other in ended.Where(p => p != pod))
                Terminate(other.Process);
        }
        else if (ended.Count == (job.Spec.Completions ?? 1) && ended.All(p => p.Process.HasExited && p.Process.ExitCode == 0))
        {
            _api.SetStatus(pod.Job, new V1JobStatus { Succeeded = ended.Count, Conditions = [new V1JobCondition { Type = "Complete", Status = "True" }] });
        }
    }

    /// <summary>Evicts the running pod of lab job <paramref name="labJob"/> (a node drain): SIGTERM, then a Failed pod with DisruptionTarget.</summary>
    public string Evict(string labJob)
    {
        var pod = _pods.Values.Single(p => p.LabJob == labJob && !p.Process.HasExited);
        pod.Evicted = true;
        Terminate(pod.Process);
        return pod.Job;
    }

    /// <summary>What the kubelet does to a pod being deleted: SIGTERM, SIGKILL after the grace (30 s).</summary>
    private static void Terminate(Process process)
    {
        if (process.HasExited)
            return;
        LabProcess.Signal(process.Id, "TERM");
        _ = Task.Delay(TimeSpan.FromSeconds(30)).ContinueWith(_ =>
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
        }, TaskScheduler.Default);
    }

    private static string FieldRef(V1Pod pod, string path) =>
        AnnotationRef().Match(path) is { Success: true } m ? pod.Metadata.Annotations[m.Groups[1].Value] : throw new NotSupportedException(path);

    private static void Append(Pod pod, string? line)
    {
        if (line is null)
            return;
        lock (pod.Log)
            pod.Log.AppendLine(line);
    }

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex Reference();

    [GeneratedRegex(@"^metadata\.annotations\['(.+)'\]$")]
    private static partial Regex AnnotationRef();

    public void Dispose()
    {
        foreach (var pod in _pods.Values.Where(p => !p.Process.HasExited))
            pod.Process.Kill(entireProcessTree: true);
        foreach (var pod in _pods.Values)
            pod.Process.Dispose();
    }
}
