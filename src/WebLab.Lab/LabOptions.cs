namespace WebLab.Lab;

/// <summary>Settings of the lab service ("WebLab" section of appsettings, or WEBLAB__* environment variables).</summary>
public sealed class LabOptions
{
    public const string Section = "WebLab";

    /// <summary>Folder holding the database, uploads, datasets, checkpoints and job outputs.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Training worker slots; 0 = one per CUDA GPU, or one on CPU.</summary>
    public int TrainWorkers { get; set; }

    /// <summary>Slots for quick utility jobs (ingest, import), so they never wait behind training.</summary>
    public int UtilityWorkers { get; set; } = 1;

    /// <summary>How long a claimed job stays ours without a heartbeat.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often running jobs' leases are renewed and expired leases recovered.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A worker silent for this long (no progress and no keep-alive) is considered hung and killed.</summary>
    public TimeSpan WorkerStallTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A worker whose job makes no progress for this long (no message from its work; its timer's keep-alives do not count)
    /// is stalled or deadlocked: it is killed and the job retried. Long enough for the slowest silent phase (loading data).
    /// </summary>
    public TimeSpan WorkerProgressTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How long a worker asked to stop (shutdown, cancel) may take before it is killed.</summary>
    public TimeSpan WorkerStopGrace { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Attempts before a job that keeps crashing is marked Failed.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>Largest dataset upload accepted, in bytes.</summary>
    public long MaxUploadBytes { get; set; } = 1L << 30;

    /// <summary>Largest safetensors import accepted, in bytes.</summary>
    public long MaxCheckpointBytes { get; set; } = 2L << 30;

    /// <summary>The weblab worker: path of weblab.dll (or an executable); null = next to this application.</summary>
    public string? WorkerPath { get; set; }

    /// <summary>Pretrain the built-in demo source checkpoint on first start when it is missing.</summary>
    public bool CreateDemoSource { get; set; } = true;

    /// <summary>Install the zoo's ImageNet ResNet-18 as a built-in source on first start when it is missing (seconds; offline).</summary>
    public bool InstallZooSource { get; set; } = true;

    /// <summary>Pretraining epochs of the built-in demo source (fewer make a weaker but quicker source; tests use 1).</summary>
    public int DemoSourceEpochs { get; set; } = Training.Demo.SourceEpochs;

    /// <summary>Run workers at all (tests of the API alone turn this off).</summary>
    public bool RunWorkers { get; set; } = true;

    /// <summary>How often cleanup runs (orphaned temporary files, spent uploads, ended jobs' progress events, the WAL); zero: never.</summary>
    public TimeSpan MaintenancePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Temporary files and uploads no job names, untouched for this long, are orphans that cleanup removes.</summary>
    public TimeSpan OrphanAge { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Decoded tiles of a dataset no job has loaded for this long are removed (the next load decodes again).</summary>
    public TimeSpan TileCacheIdle { get; set; } = TimeSpan.FromDays(14);

    /// <summary>Space kept free on the data folder's disk (<see cref="Storage.DiskReserve"/>) to record failures when it fills; 0: none.</summary>
    public long DiskReserveBytes { get; set; } = 16L << 20;

    /// <summary>Largest the database file may grow, in bytes (null: the disk is the limit); past it writes fail like on a full disk.</summary>
    public long? MaxDatabaseBytes { get; set; }

    /// <summary>What one job may ask for: budgets, data sizes, seeds, sweep size ("WebLab:Limits:MaxEpochs", ...).</summary>
    public Jobs.Kinds.JobLimits Limits { get; set; } = new();

    /// <summary>Device of training workers: auto, cpu, cuda.</summary>
    public string Device { get; set; } = "auto";

    /// <summary>Where training attempts run: worker processes on this machine (the default), a Slurm cluster or Kubernetes Jobs.</summary>
    public ExecutorKind Executor { get; set; } = ExecutorKind.Local;

    /// <summary>
    /// The lab's address as workers on other machines reach it (they post their events there), e.g. "http://head-node:5180";
    /// null: the address the lab listens on, with a wildcard host replaced by this machine's name.
    /// </summary>
    public string? WorkerUrl { get; set; }

    /// <summary>The Slurm executor's settings ("WebLab:Slurm:Partition", ...).</summary>
    public Workers.Executors.SlurmOptions Slurm { get; set; } = new();

    /// <summary>The Kubernetes executor's settings ("WebLab:Kubernetes:Namespace", ...).</summary>
    public Workers.Executors.KubernetesOptions Kubernetes { get; set; } = new();

    /// <summary>Who gets in: accounts (the default), or an open demo where every browser is a guest.</summary>
    public AccessMode Access { get; set; } = AccessMode.Accounts;

    /// <summary>Per-person limits by role.</summary>
    public Access.QuotaOptions Quotas { get; set; } = new();

    /// <summary>Largest JSON (or other non-upload) request body, in bytes.</summary>
    public long MaxJsonBytes { get; set; } = 1 << 20;

    /// <summary>Requests per minute: writes, sign-in attempts, submissions and uploads per IP address; submissions and uploads per person.</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Open pages (Blazor circuits) plus hub connections one person may hold at once.</summary>
    public int MaxConnectionsPerUser { get; set; } = 20;

    /// <summary>
    /// Folder of the validation study the Validation page shows: study.json and the SVG plots it names, as `weblab study`
    /// writes them (e.g. a checkout's bench/study; relative to the working directory). Null: the study committed with this
    /// build, shipped as study/ next to the application.
    /// </summary>
    public string? StudyFolder { get; set; }
}

/// <summary>Where training attempts run (<see cref="LabOptions.Executor"/>); utility jobs always run on the lab's machine.</summary>
public enum ExecutorKind
{
    /// <summary>Child processes of the lab, one per training slot.</summary>
    Local,

    /// <summary>Slurm batch jobs (sbatch), a sweep as a job array; inputs and outputs on a filesystem the nodes share.</summary>
    Slurm,

    /// <summary>One Kubernetes Job per attempt; inputs and outputs on a volume the pods mount.</summary>
    Kubernetes,
}

/// <summary>How people get into the lab.</summary>
public enum AccessMode
{
    /// <summary>Everyone signs in (page sessions, API tokens); the first start makes an admin and prints a sign-in link.</summary>
    Accounts,

    /// <summary>A public demo: every new browser is a guest with a random name (read-mostly, rate-limited); accounts still work.</summary>
    OpenDemo,
}

/// <summary>Requests per minute (see <see cref="LabOptions.RateLimits"/>).</summary>
public sealed class RateLimitOptions
{
    public int WritesPerAddress { get; set; } = 300;
    public int SignInsPerAddress { get; set; } = 10;
    public int SubmissionsPerAddress { get; set; } = 120;
    public int UploadsPerAddress { get; set; } = 40;
    public int SubmissionsPerPerson { get; set; } = 30;
    public int UploadsPerPerson { get; set; } = 10;
}
