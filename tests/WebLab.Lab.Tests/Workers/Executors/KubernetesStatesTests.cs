using k8s.Models;
using WebLab.Lab.Workers;
using WebLab.Lab.Workers.Executors;
using static WebLab.Lab.Tests.Workers.Executors.KubernetesExecutorTests;

namespace WebLab.Lab.Tests.Workers.Executors;

/// <summary>What the Job controller's and kubelet's statuses mean for the lab, task by task.</summary>
public sealed class KubernetesStatesTests
{
    private static V1Job Job(params V1JobCondition[] conditions) => new() { Status = new V1JobStatus { Conditions = conditions } };

    private static V1JobCondition Condition(string type, string reason = "", string message = "") => new() { Type = type, Status = "True", Reason = reason, Message = message };

    private static V1Pod Pod(V1PodStatus status, int index = 0, int age = 0) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Annotations = new Dictionary<string, string> { [KubernetesExecutor.IndexAnnotation] = index.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            CreationTimestamp = DateTime.UtcNow.AddSeconds(-age),
        },
        Status = status,
    };

    private static TaskView One(V1Job? job, params V1Pod[] pods) => KubernetesStates.Tasks(job, pods, 1).Single();

    [Fact]
    public void SucceededPod_EndsWithItsExitCode()
    {
        var view = One(Job(Condition("Complete")), Pod(Terminated("Succeeded", 0, "Completed")));
        Assert.Equal(new WorkerEnd(WorkerExit.Succeeded), view.Ended);
    }

    [Fact]
    public void PendingPod_IsWaiting_AndRunningPod_IsNotEnded()
    {
        Assert.Equal(TaskView.Queued, One(Job(), Pod(new V1PodStatus { Phase = "Pending" })));
        Assert.Equal(TaskView.Queued, One(Job())); // the controller has not made the pod yet
        Assert.Equal(TaskView.Running, One(Job(), Pod(new V1PodStatus { Phase = "Running" })));
    }

    [Fact]
    public void FailedPod_EndsWithTheWorkersExitCode()
    {
        var view = One(Job(Condition("Failed", "BackoffLimitExceeded")), Pod(Terminated("Failed", 2, "Error")));
        Assert.Equal(2, view.Ended!.Code); // bad input stays bad input
    }

    [Fact]
    public void OomKilled_Is137()
    {
        var view = One(Job(Condition("Failed", "BackoffLimitExceeded")), Pod(Terminated("Failed", 137, "OOMKilled")));
        Assert.Equal(137, view.Ended!.Code);
    }

    [Fact]
    public void DeadlineExceeded_IsAFailure_EvenThoughTheWorkerWasOnlySigtermed()
    {
        var view = One(Job(Condition("Failed", "DeadlineExceeded", "Job was active longer than specified deadline")), Pod(Terminated("Failed", 75, "Error")));
        Assert.Equal(WorkerExit.Failed, view.Ended!.Code);
        Assert.Contains("time limit", view.Ended.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Evicted", false)]
    [InlineData(null, true)] // preempted or drained: the pod carries a DisruptionTarget condition
    public void EvictedOrPreemptedPod_IsAnInterruption(string? reason, bool disruptionCondition)
    {
        var status = Terminated("Failed", 143, "Error");
        status.Reason = reason;
        if (disruptionCondition)
            status.Conditions = [new V1PodCondition { Type = "DisruptionTarget", Status = "True", Reason = "PreemptionByScheduler" }];
        Assert.Equal(WorkerExit.Interrupted, One(Job(), Pod(status)).Ended!.Code);
    }

    [Fact]
    public void JobFailedByThePodFailurePolicy_AfterItsPodIsGone_IsAnInterruption()
    {
        var view = One(Job(Condition("Failed", "PodFailurePolicy", "Pod lab/x has condition DisruptionTarget matching FailJob rule at index 0")));
        Assert.Equal(WorkerExit.Interrupted, view.Ended!.Code);
        Assert.Contains("DisruptionTarget", view.Ended.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ContainerThatCannotStart_IsAFailure()
    {
        var status = new V1PodStatus
        {
            Phase = "Pending",
            ContainerStatuses = [new V1ContainerStatus { State = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ErrImagePull", Message = "not found" } } }],
        };
        var view = One(Job(), Pod(status));
        Assert.Equal(WorkerExit.Failed, view.Ended!.Code);
        Assert.Contains("ErrImagePull", view.Ended.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void DeletedJob_IsAnInterruption_ForEveryTask()
    {
        var views = KubernetesStates.Tasks(null, [], 2);
        Assert.All(views, v => Assert.Equal(WorkerExit.Interrupted, v.Ended!.Code));
    }

    [Fact]
    public void IndexedJob_ReadsEachTaskFromItsOwnPod_TheNewestOne()
    {
        var pods = new[]
        {
            Pod(Terminated("Succeeded", 0, "Completed"), index: 1),
            Pod(Terminated("Failed", 1, "Error"), index: 2, age: 60),
            Pod(new V1PodStatus { Phase = "Running" }, index: 2),
        };
        var views = KubernetesStates.Tasks(Job(), pods, 3);
        Assert.Equal([TaskView.Queued, new TaskView(false, new WorkerEnd(0)), TaskView.Running], views);
    }
}
