using System.Text.Json;

namespace WebLab.Lab.Workers.Executors;

/// <summary>Runs each attempt as a <c>weblab worker</c> child process of the lab (the default): stdout and stdin are the wire.</summary>
/// <param name="workerPath">The configured worker (<see cref="LabOptions.WorkerPath"/>); null: the weblab.dll beside the lab.</param>
public sealed class LocalExecutor(string? workerPath, TimeProvider time) : IWorkerExecutor
{
    public string Name => "local";

    public async Task<IWorker> StartAsync(WorkerLaunch launch, CancellationToken cancellationToken)
    {
        var worker = WorkerFiles.WorkerPath(workerPath);
        await WorkerFiles.WriteJobAsync(launch.JobFile, launch.Input, cancellationToken);
        return WorkerProcess.Start(worker, launch.JobFile, launch.Environment, time);
    }
}

/// <summary>The files the lab writes for a worker.</summary>
public static class WorkerFiles
{
    /// <summary>
    /// The weblab worker the lab starts: <paramref name="configured"/> (weblab.dll or an executable), else the weblab.dll
    /// next to the lab's own binaries.
    /// </summary>
    public static string WorkerPath(string? configured)
    {
        var path = configured ?? Path.Combine(AppContext.BaseDirectory, "weblab.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"The worker ({path}) is missing; build src/WebLab.Cli.");
    }

    /// <summary>The command line that runs the worker program at <paramref name="workerPath"/> (dotnet for a .dll).</summary>
    public static IReadOnlyList<string> WorkerCommand(string workerPath) =>
        workerPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? [WorkerProcess.DotnetHost(), workerPath] : [workerPath];

    /// <summary>
    /// Writes the job file readable by the lab's user only: a remote worker's file holds its attempt token, and the
    /// data folder may be on a cluster's shared filesystem.
    /// </summary>
    public static async Task WriteJobAsync(string path, WorkerJob job, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        await using var file = new FileStream(path, options);
        await JsonSerializer.SerializeAsync(file, job, WebLabJson.Options, cancellationToken);
    }
}
