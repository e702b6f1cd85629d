using k8s;

namespace WebLab.Lab.Workers.Executors;

/// <summary>Where and how attempts run as Kubernetes Jobs ("WebLab:Kubernetes:...").</summary>
public sealed class KubernetesOptions
{
    /// <summary>Namespace the Jobs are created in.</summary>
    public string Namespace { get; set; } = "default";

    /// <summary>The worker's container image: a .NET 10 runtime with weblab (the Dockerfile's runtime stage).</summary>
    public string Image { get; set; } = "weblab:latest";

    /// <summary>Kubernetes' imagePullPolicy (Always, IfNotPresent, Never); null: the cluster's default for the tag.</summary>
    public string? ImagePullPolicy { get; set; }

    /// <summary>The worker inside the image; null or empty: <see cref="DefaultWorkerCommand"/> (a list: the binder appends to a default list).</summary>
    public List<string>? WorkerCommand { get; set; }

    public static IReadOnlyList<string> DefaultWorkerCommand { get; } = ["dotnet", "/app/weblab.dll"];

    /// <summary>GPUs per attempt (the nvidia.com/gpu limit; needs NVIDIA's device plugin); 0 trains on the node's CPUs.</summary>
    public int GpusPerJob { get; set; }

    /// <summary>CPU request and limit of the worker container (Kubernetes quantities: "2", "500m"); null: none.</summary>
    public string? CpuRequest { get; set; } = "2";

    public string? CpuLimit { get; set; }

    /// <summary>Memory request and limit ("8Gi"); past the limit the kernel kills the worker (OOMKilled, exit 137).</summary>
    public string? MemoryRequest { get; set; } = "4Gi";

    public string? MemoryLimit { get; set; } = "16Gi";

    /// <summary>
    /// The PersistentVolumeClaim holding the lab's data folder (ReadWriteMany: the lab and its workers share it). Pods
    /// mount it at the lab's own data folder path, so the paths in job files mean the same in the pod; null: no volume
    /// (the image or node must provide that path some other way).
    /// </summary>
    public string? DataClaim { get; set; }

    /// <summary>Folder inside the claim that is the data folder (volumeMount subPath); null: the claim's root.</summary>
    public string? DataSubPath { get; set; }

    /// <summary>
    /// User id the worker runs as: job files are readable by the lab's user only, so this must be the lab's uid (or the
    /// image's user must be); null: the image's user.
    /// </summary>
    public long? RunAsUser { get; set; }

    /// <summary>The pods' service account; null: the namespace's default (workers need no API access).</summary>
    public string? ServiceAccount { get; set; }

    /// <summary>Node labels the pods need (e.g. "nvidia.com/gpu.present": "true").</summary>
    public Dictionary<string, string> NodeSelector { get; set; } = [];

    /// <summary>Taints the pods tolerate (e.g. a GPU pool's "nvidia.com/gpu" NoSchedule taint).</summary>
    public List<KubernetesToleration> Tolerations { get; set; } = [];

    /// <summary>Training attempts the lab keeps submitted at once (its training slots); the scheduler decides where they run.</summary>
    public int MaxJobs { get; set; } = 4;

    /// <summary>How often the lab asks the API server about its Jobs.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Ended Jobs (and their pods and logs) are deleted by Kubernetes after this long (ttlSecondsAfterFinished).</summary>
    public TimeSpan KeepFinished { get; set; } = TimeSpan.FromDays(1);

    /// <summary>A kubeconfig file; null: KUBECONFIG, else ~/.kube/config, else the pod's service account when the lab runs in the cluster.</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>The context of <see cref="Kubeconfig"/> to use; null: its current context.</summary>
    public string? Context { get; set; }

    /// <summary>How the client reaches the API server: <see cref="Kubeconfig"/>, else the client's default discovery.</summary>
    public KubernetesClientConfiguration ClientConfiguration()
    {
        var configuration = Kubeconfig is { Length: > 0 } path ? KubernetesClientConfiguration.BuildConfigFromConfigFile(path, Context)
            : KubernetesClientConfiguration.BuildDefaultConfig();
        configuration.HttpClientTimeout = TimeSpan.FromSeconds(30); // a poll waits no longer; the next one asks again
        return configuration;
    }
}

/// <summary>A pod toleration (see <see cref="KubernetesOptions.Tolerations"/>).</summary>
public sealed class KubernetesToleration
{
    public string? Key { get; set; }

    /// <summary>Exists or Equal.</summary>
    public string Operator { get; set; } = "Exists";

    public string? Value { get; set; }

    /// <summary>NoSchedule, PreferNoSchedule, NoExecute; null: all.</summary>
    public string? Effect { get; set; }
}
