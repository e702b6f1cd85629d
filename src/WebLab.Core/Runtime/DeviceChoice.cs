namespace WebLab.Runtime;

/// <summary>
/// The devices people may ask for: auto or cpu. Which GPU runs a job is never a setting of the job: the lab gives each
/// GPU worker one GPU (CUDA_VISIBLE_DEVICES), and on the command line CUDA_VISIBLE_DEVICES picks it, so a sweep or a
/// script cannot put its work on another worker's GPU.
/// </summary>
public static class DeviceChoice
{
    public const string Auto = "auto";
    public const string Cpu = "cpu";

    /// <summary>"auto" or "cpu" for a valid choice (case and spaces ignored, empty = auto); null otherwise.</summary>
    public static string? Normalise(string? requested) => (requested ?? "").Trim().ToLowerInvariant() switch
    {
        "" or Auto => Auto,
        Cpu => Cpu,
        _ => null,
    };

    /// <summary>Why <paramref name="requested"/> is not a choice people may make, or null when it is.</summary>
    public static string? Problem(string? requested) => Normalise(requested) is null
        ? $"'{requested}' is not a device choice: use auto (a GPU when one is given to the job, else the CPU) or cpu. "
          + "Which GPU is not a setting: the lab schedules GPUs, and CUDA_VISIBLE_DEVICES picks one on the command line."
        : null;
}
