using System.Diagnostics;
using System.Text.Json;
using WebLab.Lab.Workers.Executors;

namespace WebLab.Lab.Jobs;

/// <summary>How many CUDA GPUs the lab's workers can use.</summary>
public interface IDeviceInventory
{
    Task<int> CudaDevicesAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Asks the worker program itself (<c>weblab devices --json</c>): what its loaded TorchSharp backend can use, which is
/// what decides whether training on a GPU works. NVIDIA device files say nothing about that: a CPU build on a GPU
/// machine sees them too.
/// </summary>
public sealed class WorkerDeviceProbe(string? workerPath) : IDeviceInventory
{
    public async Task<int> CudaDevicesAsync(CancellationToken cancellationToken)
    {
        var command = WorkerFiles.WorkerCommand(WorkerFiles.WorkerPath(workerPath));
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in command.Skip(1).Concat(["devices", "--json"]))
            start.ArgumentList.Add(argument);
        start.Environment["GLIBC_TUNABLES"] = WebLab.Runtime.NativeAllocator.GlibcTunables;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command[0]}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"weblab devices failed ({process.ExitCode}): {(await stderr).Trim()}");
        using var report = JsonDocument.Parse(await stdout);
        return report.RootElement.GetProperty("cudaDevices").GetInt32();
    }
}

/// <summary>
/// Where a slot's jobs run. <see cref="Label"/> is what people see and the job records ("cuda:1"); <see cref="Worker"/>
/// is what the worker is told: a GPU worker sees only its own GPU (<see cref="Gpu"/> as CUDA_VISIBLE_DEVICES), as "cuda".
/// </summary>
public sealed record SlotDevice(string Label, string Worker, int? Gpu)
{
    public static SlotDevice Cpu { get; } = new("cpu", "cpu", null);

    /// <summary>A remote executor's slot: the worker picks its device on the node the scheduler chose.</summary>
    public static SlotDevice Remote { get; } = new("auto", "auto", null);

    public static SlotDevice Cuda(int gpu) => new($"cuda:{gpu}", "cuda", gpu);

    /// <summary>The worker's environment for this device: its GPU alone, or none for the CPU.</summary>
    public void AddTo(IDictionary<string, string> environment)
    {
        if (Gpu is { } gpu)
            environment["CUDA_VISIBLE_DEVICES"] = gpu.ToString(System.Globalization.CultureInfo.InvariantCulture);
        else if (Worker == "cpu")
            environment["CUDA_VISIBLE_DEVICES"] = ""; // a CPU worker must not create a CUDA context on anyone's GPU
    }

    /// <summary>
    /// The training slots: one per GPU the workers can use (or <paramref name="workers"/> of them, GPUs first), else CPU.
    /// </summary>
    public static IReadOnlyList<SlotDevice> TrainSlots(string device, int workers, int gpus)
    {
        if (device == "cpu" || gpus == 0)
            return Enumerable.Repeat(Cpu, Math.Max(1, workers)).ToList();
        return workers > 0
            ? Enumerable.Range(0, workers).Select(i => i < gpus ? Cuda(i) : Cpu).ToList()
            : Enumerable.Range(0, gpus).Select(Cuda).ToList();
    }
}

/// <summary>
/// Who holds each GPU: the training slot that owns it while it runs a job, or a utility job (predict, analyse) that
/// borrowed it while the training slot was idle. One process per GPU at a time.
/// </summary>
public sealed class GpuPool(IEnumerable<int> gpus)
{
    private readonly Dictionary<int, SemaphoreSlim> _held = gpus.ToDictionary(g => g, _ => new SemaphoreSlim(1, 1));

    /// <summary>Waits until <paramref name="gpu"/> is free (a borrowed GPU comes back when the quick job ends), then holds it.</summary>
    public Task TakeAsync(int gpu, CancellationToken cancellationToken) => _held[gpu].WaitAsync(cancellationToken);

    /// <summary>Holds an idle GPU if there is one, without waiting.</summary>
    public int? TryBorrow()
    {
        foreach (var (gpu, held) in _held)
        {
            if (held.Wait(0))
                return gpu;
        }
        return null;
    }

    public void Release(int gpu) => _held[gpu].Release();
}
