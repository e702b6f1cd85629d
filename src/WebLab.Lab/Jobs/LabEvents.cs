using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using WebLab.Lab.Workers;

namespace WebLab.Lab.Jobs;

/// <summary>What the lab tells watchers (SignalR clients and Blazor pages alike).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(JobEventMessage), "event")]
[JsonDerivedType(typeof(JobStateMessage), "state")]
[JsonDerivedType(typeof(QueueChangedMessage), "queue")]
public abstract record LabMessage;

/// <summary>
/// A job's persisted event: <see cref="Seq"/> counts from 1 per job with no gaps, so a client that loaded the history
/// up to seq N from the API applies only live events with seq &gt; N. <see cref="Type"/> is one of <see cref="JobEventTypes"/>;
/// <see cref="Curve"/> is the epoch's curve point, the same record the API returns with the job.
/// </summary>
public sealed record JobEventMessage(string JobId, long Seq, string Type, JsonElement Payload, string At, JobProgress? Progress, CurvePoint? Curve = null)
    : LabMessage;

/// <summary>A job changed state (submitted, claimed, finished, requeued...). A private job's messages reach only its owner and admins.</summary>
public sealed record JobStateMessage(string JobId, string Kind, string Owner, string Name, JobState State, string Reason, int Attempt, string? Error,
    Access.Visibility Visibility = Access.Visibility.Group) : LabMessage;

/// <summary>The queue changed; <see cref="Positions"/> maps each queued job to its place in line (1 = next) in its lane.</summary>
public sealed record QueueChangedMessage(IReadOnlyDictionary<string, int> Positions, int Running, int Queued) : LabMessage;

/// <summary>
/// In-process fan-out of lab messages. Each subscriber gets its own bounded buffer; a subscriber too slow to keep up
/// loses the oldest messages, never blocks the lab, and notices the gap in sequence numbers (then reloads from the API).
/// </summary>
public sealed class LabEvents
{
    private readonly Lock _gate = new();
    private readonly List<Channel<LabMessage>> _subscribers = [];

    public void Publish(LabMessage message)
    {
        lock (_gate)
        {
            foreach (var subscriber in _subscribers)
                subscriber.Writer.TryWrite(message);
        }
    }

    /// <summary>Messages published from now on, until <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<LabMessage> SubscribeAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<LabMessage>(new BoundedChannelOptions(10_000)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        });
        lock (_gate)
            _subscribers.Add(channel);
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var message))
                    yield return message;
            }
        }
        finally
        {
            lock (_gate)
                _subscribers.Remove(channel);
        }
    }

    /// <summary>
    /// The job once it has finished (from the database), following state messages rather than polling; null if it
    /// has not finished within <paramref name="timeout"/> or no longer exists.
    /// </summary>
    public async Task<JobRecord?> FinishedAsync(string jobId, JobStore store, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var stream = SubscribeAsync(deadline.Token).GetAsyncEnumerator(deadline.Token);
        try
        {
            var next = stream.MoveNextAsync(); // subscribed from here on: no state change can slip between the check and the wait
            if (await store.GetAsync(jobId, cancellationToken) is not { IsFinished: false } job)
                return await store.GetAsync(jobId, cancellationToken);
            while (await next)
            {
                if (stream.Current is JobStateMessage s && s.State.IsFinished() && s.JobId == jobId)
                    return await store.GetAsync(jobId, cancellationToken);
                next = stream.MoveNextAsync();
            }
            return null;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }
}
