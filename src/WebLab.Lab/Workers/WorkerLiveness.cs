using System.Text.Json;

namespace WebLab.Lab.Workers;

/// <summary>
/// Reads protocol lines and keeps the two clocks the runner judges a worker by: when it was last heard from, and when
/// its work last moved. A deadlocked worker's timer still sends keep-alives, so only the second tells a stalled job
/// from a busy one: every message but a keep-alive is the work's, and a keep-alive counting more messages than seen
/// so far means the work moved too. Arrays keep one counter per task.
/// </summary>
public sealed class WorkerLiveness
{
    private readonly TimeProvider _time;
    private readonly Dictionary<int, long> _progress = [];
    private readonly Lock _gate = new();

    public WorkerLiveness(TimeProvider time)
    {
        _time = time;
        LastHeard = LastProgress = time.GetUtcNow();
    }

    public DateTimeOffset LastHeard { get; private set; }

    public DateTimeOffset LastProgress { get; private set; }

    /// <summary>Anything arrived (a stderr line, an empty post).</summary>
    public void Heard() => LastHeard = _time.GetUtcNow();

    /// <summary>The work is waiting for its turn (a scheduler's queue): neither silent nor stalled.</summary>
    public void Waiting()
    {
        Heard();
        LastProgress = LastHeard;
    }

    /// <summary>The message of one protocol line of task <paramref name="task"/>; lines that are not protocol JSON become log events.</summary>
    public WorkerMessage Read(string line, int task = 0)
    {
        Heard();
        WorkerMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<WorkerMessage>(line, WebLabJson.Compact);
        }
        catch (JsonException)
        {
            message = null;
        }
        message ??= new WorkerEvent(JobEventTypes.Log, JsonSerializer.SerializeToElement(new LogLine("info", line), WebLabJson.Compact));
        Note(message, task);
        return message;
    }

    private void Note(WorkerMessage message, int task)
    {
        lock (_gate)
        {
            long seen = _progress.GetValueOrDefault(task);
            if (message is WorkerAlive alive && alive.Progress <= seen)
                return; // the timer thread ticks on while the work is stuck
            _progress[task] = message is WorkerAlive moved ? moved.Progress : seen + 1;
            LastProgress = LastHeard;
        }
    }
}
