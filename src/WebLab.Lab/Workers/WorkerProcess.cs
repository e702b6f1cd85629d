using System.Diagnostics;

namespace WebLab.Lab.Workers;

/// <summary>
/// One running <c>weblab worker</c> process (the local executor's worker): its stdout parsed into
/// <see cref="WorkerMessage"/>s, its stderr kept (last lines) for error reports, commands sent on stdin.
/// </summary>
public sealed class WorkerProcess : IWorker
{
    private const int StderrLines = 40;
    private readonly Process _process;
    private readonly Queue<string> _stderr = new();
    private readonly Lock _gate = new();

    private readonly WorkerLiveness _liveness;
    private int _abandoned;

    private WorkerProcess(Process process, TimeProvider time)
    {
        _process = process;
        _liveness = new WorkerLiveness(time);
    }

    public int Pid => _process.Id;

    public string Id => $"pid {_process.Id}";

    public DateTimeOffset LastHeard => _liveness.LastHeard;

    public DateTimeOffset LastProgress => _liveness.LastProgress;

    /// <summary>Starts the worker for <paramref name="jobFile"/>.</summary>
    public static WorkerProcess Start(string workerPath, string jobFile, IReadOnlyDictionary<string, string> environment, TimeProvider time)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(jobFile)!,
        };
        var command = Executors.WorkerFiles.WorkerCommand(workerPath);
        start.FileName = command[0];
        foreach (var argument in command.Skip(1))
            start.ArgumentList.Add(argument);
        foreach (var argument in new[] { "worker", "--job", jobFile })
            start.ArgumentList.Add(argument);
        // The allocator settings must be in place before the process starts (see the README's performance notes).
        start.Environment["GLIBC_TUNABLES"] = WebLab.Runtime.NativeAllocator.GlibcTunables;
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {workerPath}");
        var worker = new WorkerProcess(process, time);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            worker._liveness.Heard();
            lock (worker._gate)
            {
                worker._stderr.Enqueue(e.Data);
                while (worker._stderr.Count > StderrLines)
                    worker._stderr.Dequeue();
            }
        };
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>The dotnet host running this process (or the one on PATH).</summary>
    public static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
            return host;
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
            return self;
        return "dotnet";
    }

    /// <summary>The worker's messages until it closes stdout. Lines that are not protocol JSON come back as log events.</summary>
    public async IAsyncEnumerable<WorkerMessage> MessagesAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.Length == 0)
            {
                _liveness.Heard();
                continue;
            }
            yield return _liveness.Read(line);
        }
    }

    /// <summary>Sends a command (see <see cref="WorkerCommands"/>); false if the worker is gone.</summary>
    public bool Send(string command)
    {
        try
        {
            _process.StandardInput.WriteLine(command);
            _process.StandardInput.Flush();
            return true;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            return false;
        }
    }

    public async Task<WorkerEnd> WaitForExitAsync()
    {
        await _process.WaitForExitAsync();
        return new WorkerEnd(_process.ExitCode);
    }

    public void Abandon(string command, TimeSpan grace)
    {
        if (Interlocked.Exchange(ref _abandoned, 1) == 1)
            return;
        Send(command);
        _ = Task.Delay(grace).ContinueWith(_ => Kill(), TaskScheduler.Default);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>SIGKILL, if still running.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    /// <summary>The last lines the worker wrote on stderr.</summary>
    public string StderrTail()
    {
        lock (_gate)
            return string.Join('\n', _stderr);
    }

    public void Dispose() => _process.Dispose();
}
