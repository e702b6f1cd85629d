using System.Diagnostics;
using System.Text.Json;

namespace WebLab.Lab.Workers;

/// <summary>
/// One running <c>weblab worker</c> process: its stdout parsed into <see cref="WorkerMessage"/>s, its stderr kept
/// (last lines) for error reports, commands sent on stdin.
/// </summary>
public sealed class WorkerProcess : IDisposable
{
    private const int StderrLines = 40;
    private readonly Process _process;
    private readonly Queue<string> _stderr = new();
    private readonly Lock _gate = new();

    private readonly TimeProvider _time;

    private WorkerProcess(Process process, TimeProvider time)
    {
        _process = process;
        _time = time;
        LastHeard = LastProgress = time.GetUtcNow();
    }

    public int Id => _process.Id;

    /// <summary>When the worker last wrote anything (a hung process stops writing).</summary>
    public DateTimeOffset LastHeard { get; private set; }

    /// <summary>
    /// When the job's work last moved: any message but a keep-alive, or a keep-alive whose progress counter advanced.
    /// A deadlocked worker's timer still sends keep-alives, so only this tells a stalled job from a busy one.
    /// </summary>
    public DateTimeOffset LastProgress { get; private set; }

    private long _progress;

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
        if (workerPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            start.FileName = DotnetHost();
            start.ArgumentList.Add(workerPath);
        }
        else
        {
            start.FileName = workerPath;
        }
        foreach (var argument in new[] { "worker", "--job", jobFile })
            start.ArgumentList.Add(argument);
        // The allocator settings must be in place before the process starts (see the README's performance notes).
        start.Environment["GLIBC_TUNABLES"] = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=17179869184";
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {workerPath}");
        var worker = new WorkerProcess(process, time);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            worker.LastHeard = worker._time.GetUtcNow();
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
            LastHeard = _time.GetUtcNow();
            if (line.Length == 0)
                continue;
            WorkerMessage? message;
            try
            {
                message = JsonSerializer.Deserialize<WorkerMessage>(line, WebLabJson.Compact);
            }
            catch (JsonException)
            {
                message = null;
            }
            message ??= new WorkerEvent("log", JsonSerializer.SerializeToElement(new { level = "info", message = line }));
            NoteProgress(message);
            yield return message;
        }
    }

    /// <summary>Every line but a keep-alive is the work's; a keep-alive counting more than we have seen means the work moved too.</summary>
    private void NoteProgress(WorkerMessage message)
    {
        if (message is WorkerAlive alive && alive.Progress <= _progress)
            return; // the timer thread ticks on while the work is stuck
        _progress = message is WorkerAlive moved ? moved.Progress : _progress + 1;
        LastProgress = LastHeard;
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

    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken = default)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
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
