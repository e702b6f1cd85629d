using System.Globalization;
using k8s.Models;

namespace WebLab.Lab.Workers.Executors;

/// <summary>
/// What a Job's status and its pods mean for the lab, task by task (a task is a pod; an Indexed Job's pod names its
/// index). Like <see cref="SlurmStates"/>: an evicted or preempted pod is an interruption (requeued without spending an
/// attempt), the OOM killer is exit 137, the Job's deadline and a container that cannot start are failures.
/// </summary>
public static class KubernetesStates
{
    /// <summary>Container waiting reasons that will not go away by waiting: the image or the pod's spec is wrong.</summary>
    private static readonly HashSet<string> CannotStartReasons =
        ["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError"];

    /// <summary>Pod reasons of the kubelet or node lifecycle ending a pod that did nothing wrong.</summary>
    private static readonly HashSet<string> DisruptionReasons = ["Evicted", "Preempting", "NodeLost", "NodeShutdown", "Shutdown", "Terminated"];

    /// <summary>Each task's view, from the Job (null: it no longer exists) and the attempt's pods.</summary>
    public static IReadOnlyList<TaskView> Tasks(V1Job? job, IReadOnlyList<V1Pod> pods, int tasks)
    {
        if (job is null) // deleted from outside the lab (kubectl delete), as a scancel: requeued
            return Enumerable.Repeat(new TaskView(false, new WorkerEnd(WorkerExit.Interrupted, "the Kubernetes Job was deleted")), tasks).ToList();
        var failed = Condition(job, "Failed");
        var complete = Condition(job, "Complete") is not null;
        var byTask = pods.GroupBy(p => Index(p, tasks)).ToDictionary(g => g.Key, g => g.MaxBy(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue)!);
        return Enumerable.Range(0, tasks).Select(t => Task(byTask.GetValueOrDefault(t), failed, complete)).ToList();
    }

    private static TaskView Task(V1Pod? pod, V1JobCondition? failed, bool complete)
    {
        if (failed?.Reason == "DeadlineExceeded" && pod?.Status?.Phase != "Succeeded") // the Job controller deleted its pods: SIGTERM
            return new TaskView(false, new WorkerEnd(WorkerExit.Failed, "Kubernetes ended the job at its time limit (DeadlineExceeded)"));
        var view = pod is null ? null : Pod(pod);
        if (view is not null && (view.Ended is not null || failed is null))
            return view;
        if (failed is not null) // the pod is gone or being stopped: the Job says why (another task failed, a pod was evicted)
            return new TaskView(false, new WorkerEnd(WorkerExit.Interrupted, $"Kubernetes ended the Job ({failed.Reason}): {failed.Message}"));
        return complete ? new TaskView(false, new WorkerEnd(WorkerExit.Succeeded)) : TaskView.Queued; // no pod yet: the controller creates it
    }

    /// <summary>One pod's view: waiting for a node or an image, running, or ended (and how).</summary>
    public static TaskView Pod(V1Pod pod)
    {
        var status = pod.Status;
        if (CannotStart(pod) is { } why)
            return new TaskView(false, new WorkerEnd(WorkerExit.Failed, why));
        var terminated = status?.ContainerStatuses?.FirstOrDefault()?.State?.Terminated;
        return status?.Phase switch
        {
            "Running" or "Unknown" => TaskView.Running, // Unknown: the node stopped reporting; the lab's stall clocks judge
            "Succeeded" => new TaskView(false, new WorkerEnd(terminated?.ExitCode ?? WorkerExit.Succeeded)),
            "Failed" => new TaskView(false, Failure(pod, terminated)),
            _ => TaskView.Queued, // Pending: unschedulable until a node (a GPU) frees up, or pulling the image
        };
    }

    /// <summary>Why the pod's container cannot start (a wrong image, a missing secret), or null.</summary>
    public static string? CannotStart(V1Pod pod) =>
        pod.Status?.ContainerStatuses?.Select(c => c.State?.Waiting).FirstOrDefault(w => w?.Reason is { } r && CannotStartReasons.Contains(r)) is { } waiting
            ? $"Kubernetes cannot start the worker container ({waiting.Reason}): {waiting.Message}"
            : null;

    private static WorkerEnd Failure(V1Pod pod, V1ContainerStateTerminated? terminated)
    {
        var reason = pod.Status.Reason;
        if (pod.Status.Conditions?.Any(c => c.Type == "DisruptionTarget" && c.Status == "True") == true || (reason is not null && DisruptionReasons.Contains(reason)))
            return new WorkerEnd(WorkerExit.Interrupted, $"Kubernetes evicted the pod ({reason ?? "DisruptionTarget"}): {pod.Status.Message}".TrimEnd(' ', ':'));
        if (terminated?.Reason == "OOMKilled")
            return new WorkerEnd(137, "Kubernetes killed the worker: out of memory (OOMKilled)");
        if (reason == "DeadlineExceeded")
            return new WorkerEnd(WorkerExit.Failed, "Kubernetes ended the pod at its time limit (DeadlineExceeded)");
        var code = terminated?.ExitCode ?? WorkerExit.Failed;
        return new WorkerEnd(code == WorkerExit.Succeeded ? WorkerExit.Failed : code, $"Kubernetes: pod failed, exit {code} ({terminated?.Reason ?? reason ?? "no reason"})");
    }

    private static V1JobCondition? Condition(V1Job job, string type) =>
        job.Status?.Conditions?.FirstOrDefault(c => c.Type == type && c.Status == "True");

    /// <summary>The task a pod runs: its completion index in an Indexed Job, else 0.</summary>
    private static int Index(V1Pod pod, int tasks) =>
        tasks > 1 && pod.Metadata.Annotations?.TryGetValue(KubernetesExecutor.IndexAnnotation, out var text) == true
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index : 0;
}
