using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using k8s.Models;

namespace WebLab.Lab.Workers.Executors;

public sealed partial class KubernetesExecutor
{
    /// <summary>Label naming the lab job of a Kubernetes Job and its pods.</summary>
    public const string JobLabel = "weblab/job";

    /// <summary>Label naming the attempt; with <see cref="JobLabel"/> it selects one attempt's pods.</summary>
    public const string AttemptLabel = "weblab/attempt";

    /// <summary>Where the Job controller writes an Indexed Job pod's index (its completion index).</summary>
    public const string IndexAnnotation = "batch.kubernetes.io/job-completion-index";

    /// <summary>Label naming the Kubernetes Job itself: selects its pods (an interrupted attempt runs again as another Job).</summary>
    public const string JobNameLabel = "weblab/job-name";

    /// <summary>
    /// The start of an attempt's Job names, "weblab-job-0abc...-2", to which each Job adds 5 random characters: an
    /// interruption runs the same attempt again while the ended Job is kept (<see cref="KubernetesOptions.KeepFinished"/>).
    /// </summary>
    public static string JobName(string jobId, int attempt)
    {
        var suffix = "-" + attempt.ToString(CultureInfo.InvariantCulture);
        var name = "weblab-" + Dns1123(jobId);
        return name[..Math.Min(name.Length, 57 - suffix.Length)].TrimEnd('-') + suffix; // a DNS-1123 label with "-xxxxx": 63 at most
    }

    private static string UniqueName(WorkerLaunch launch) =>
        JobName(launch.Job.Id, launch.Job.Attempt) + "-" + RandomNumberGenerator.GetString("bcdfghjklmnpqrstvwxz2456789", 5); // Kubernetes' own alphabet

    /// <summary>The attempt's Job: one pod per task, never restarted or retried by Kubernetes (the lab retries).</summary>
    public V1Job Manifest(WorkerLaunch launch)
    {
        var name = UniqueName(launch);
        var labels = Labels(launch.Job.Id, launch.Job.Attempt, name);
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = options.Namespace, Labels = labels },
            Spec = new V1JobSpec
            {
                BackoffLimit = 0, // a failed pod fails the attempt; a second pod would run it twice behind the lab's back
                ActiveDeadlineSeconds = (long)Math.Max(1, Math.Ceiling((launch.Deadline - Time.GetUtcNow()).TotalSeconds)),
                TtlSecondsAfterFinished = (int)options.KeepFinished.TotalSeconds,
                // A sweep's points run as one Indexed Job, one pod per point (as a Slurm job array).
                CompletionMode = launch.Tasks > 1 ? "Indexed" : "NonIndexed",
                Completions = launch.Tasks,
                Parallelism = launch.Tasks,
                PodFailurePolicy = EvictionFailsTheJob(),
                Template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = labels }, Spec = PodSpec(launch) },
            },
        };
    }

    /// <summary>
    /// An evicted or preempted pod fails the Job with reason PodFailurePolicy, which outlives the pod (the lab reads it
    /// as an interruption: requeued without spending an attempt, as Slurm's NODE_FAIL).
    /// </summary>
    private static V1PodFailurePolicy EvictionFailsTheJob() => new()
    {
        Rules = [new V1PodFailurePolicyRule { Action = "FailJob", OnPodConditions = [new V1PodFailurePolicyOnPodConditionsPattern { Type = "DisruptionTarget", Status = "True" }] }],
    };

    private V1PodSpec PodSpec(WorkerLaunch launch) => new()
    {
        RestartPolicy = "Never",
        ServiceAccountName = options.ServiceAccount,
        NodeSelector = options.NodeSelector.Count > 0 ? options.NodeSelector : null,
        Tolerations = options.Tolerations.Count > 0
            ? options.Tolerations.Select(t => new V1Toleration { Key = t.Key, OperatorProperty = t.Operator, Value = t.Value, Effect = t.Effect }).ToList()
            : null,
        SecurityContext = options.RunAsUser is { } uid ? new V1PodSecurityContext { RunAsUser = uid } : null,
        Volumes = options.DataClaim is { Length: > 0 } claim
            ? [new V1Volume { Name = "data", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } }]
            : null,
        Containers = [Container(launch)],
    };

    private V1Container Container(WorkerLaunch launch)
    {
        var command = (options.WorkerCommand is { Count: > 0 } configured ? configured : KubernetesOptions.DefaultWorkerCommand)
            .Concat(["worker", "--job", launch.JobFile]).ToList();
        if (launch.Tasks > 1)
            command.AddRange(["--task", "$(JOB_COMPLETION_INDEX)"]); // Kubernetes expands $(VAR) from the container's env
        return new V1Container
        {
            Name = "worker",
            Image = options.Image,
            ImagePullPolicy = options.ImagePullPolicy,
            Command = command,
            Env = Environment(launch),
            Resources = Resources(),
            // The data folder at the lab's own path: job files, datasets and checkpoints name absolute paths.
            VolumeMounts = options.DataClaim is { Length: > 0 } ? [new V1VolumeMount { Name = "data", MountPath = _dataRoot, SubPath = options.DataSubPath }] : null,
        };
    }

    private static List<V1EnvVar> Environment(WorkerLaunch launch)
    {
        var env = new List<V1EnvVar> { new() { Name = "GLIBC_TUNABLES", Value = WebLab.Runtime.NativeAllocator.GlibcTunables } };
        env.AddRange(launch.Environment.Select(e => new V1EnvVar { Name = e.Key, Value = e.Value }));
        if (launch.Tasks > 1) // declared, not left to the Job controller, so the command's $(JOB_COMPLETION_INDEX) surely expands
        {
            var index = new V1ObjectFieldSelector { FieldPath = $"metadata.annotations['{IndexAnnotation}']" };
            env.Add(new V1EnvVar { Name = "JOB_COMPLETION_INDEX", ValueFrom = new V1EnvVarSource { FieldRef = index } });
        }
        return env;
    }

    private V1ResourceRequirements Resources()
    {
        var requests = new Dictionary<string, ResourceQuantity>();
        var limits = new Dictionary<string, ResourceQuantity>();
        void Add(Dictionary<string, ResourceQuantity> to, string name, string? quantity)
        {
            if (quantity is { Length: > 0 })
                to[name] = new ResourceQuantity(quantity);
        }
        Add(requests, "cpu", options.CpuRequest);
        Add(requests, "memory", options.MemoryRequest);
        Add(limits, "cpu", options.CpuLimit);
        Add(limits, "memory", options.MemoryLimit);
        if (options.GpusPerJob > 0) // extended resources are set as limits; the request follows
            Add(limits, "nvidia.com/gpu", options.GpusPerJob.ToString(CultureInfo.InvariantCulture));
        return new V1ResourceRequirements { Requests = requests.Count > 0 ? requests : null, Limits = limits.Count > 0 ? limits : null };
    }

    private static Dictionary<string, string> Labels(string jobId, int attempt, string name) => new()
    {
        [JobNameLabel] = name,
        ["app.kubernetes.io/managed-by"] = "weblab",
        [JobLabel] = LabelValue(jobId),
        [AttemptLabel] = attempt.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Lowercase letters, digits and '-' (a DNS-1123 label's alphabet).</summary>
    private static string Dns1123(string text)
    {
        var clean = new StringBuilder();
        foreach (var c in text.ToLowerInvariant())
            clean.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        return clean.ToString().Trim('-');
    }

    /// <summary>A label value: letters, digits, '-', '_', '.', at most 63 characters (lab ids already are).</summary>
    private static string LabelValue(string text)
    {
        var clean = new string(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-').ToArray());
        return clean[..Math.Min(clean.Length, 63)].Trim('-', '_', '.');
    }
}
