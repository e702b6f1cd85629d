using Microsoft.AspNetCore.SignalR;
using WebLab.Lab.Jobs;

namespace WebLab.Web.Hubs;

/// <summary>
/// Live progress at /hubs/jobs. Subscribe to a job ("event" and "state" messages) or to the queue ("state" and
/// "queue" messages). Late joiners: subscribe first, then load GET /api/jobs/{id}/events, then apply live events
/// whose seq is above the last one loaded - no gap, no duplicate.
/// </summary>
public sealed class JobsHub : Hub
{
    public const string Path = "/hubs/jobs";

    public static string JobGroup(string jobId) => "job:" + jobId;

    public const string QueueGroup = "queue";

    /// <summary>Follow one job; returns the seq of its last persisted event at the time of subscribing.</summary>
    public async Task<long> SubscribeJob(string jobId, [Microsoft.AspNetCore.Mvc.FromServices] JobStore store)
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, JobGroup(jobId));
        return (await store.GetAsync(jobId))?.LastSeq ?? 0;
    }

    public Task UnsubscribeJob(string jobId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, JobGroup(jobId));

    /// <summary>Follow the queue: every job's state changes and the order of the line.</summary>
    public Task SubscribeQueue() => Groups.AddToGroupAsync(Context.ConnectionId, QueueGroup);

    public Task UnsubscribeQueue() => Groups.RemoveFromGroupAsync(Context.ConnectionId, QueueGroup);
}

/// <summary>Forwards the lab's in-process messages to hub groups.</summary>
public sealed class HubRelay(LabEvents events, IHubContext<JobsHub> hub, ILogger<HubRelay> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var message in events.SubscribeAsync(stoppingToken))
            {
                try
                {
                    switch (message)
                    {
                        case JobEventMessage e:
                            await hub.Clients.Group(JobsHub.JobGroup(e.JobId)).SendAsync("event", e, stoppingToken);
                            break;
                        case JobStateMessage s:
                            await hub.Clients.Groups(JobsHub.JobGroup(s.JobId), JobsHub.QueueGroup).SendAsync("state", s, stoppingToken);
                            break;
                        case QueueChangedMessage q:
                            await hub.Clients.Group(JobsHub.QueueGroup).SendAsync("queue", q, stoppingToken);
                            break;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogWarning(e, "could not relay a {Message} to the hub", message.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }
}
