using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using WebLab.Lab.Access;
using WebLab.Lab.Jobs;
using WebLab.Web.Access;

namespace WebLab.Web.Hubs;

/// <summary>
/// Live progress at /hubs/jobs (signed in: a Bearer token as ?access_token=, or the session cookie). Subscribe to a
/// job you may read ("event" and "state" messages) or to the queue ("state" and "queue" messages; other people's
/// private jobs are left out). Late joiners: subscribe first, then load GET /api/jobs/{id}/events, then apply live
/// events whose seq is above the last one loaded - no gap, no duplicate.
/// </summary>
public sealed class JobsHub(LabReads reads, HubSessions sessions) : Hub
{
    public const string Path = "/hubs/jobs";

    public static string JobGroup(string jobId) => "job:" + jobId;

    public const string QueueGroup = "queue";

    /// <summary>Queue messages of a person's private jobs: their own connections and the admins'.</summary>
    public static string PrivateQueueGroup(string owner) => "queue-of:" + owner;

    public const string AdminQueueGroup = "queue-admins";

    private Caller Caller => LabAuthentication.CallerOf(Context.User!) ?? throw new HubException("Sign in first.");

    public override Task OnConnectedAsync()
    {
        if (!sessions.TryOpen(Context))
            throw new HubException("Too many open connections for this account; close some pages or clients.");
        return base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        sessions.Close(Context);
        return base.OnDisconnectedAsync(exception);
    }

    /// <summary>Follow one job you may read; returns the seq of its last persisted event at the time of subscribing.</summary>
    public async Task<long> SubscribeJob(string jobId)
    {
        var job = await reads.FindJobAsync(jobId, Caller) ?? throw new HubException($"No job '{jobId}'.");
        await Groups.AddToGroupAsync(Context.ConnectionId, JobGroup(job.Id));
        return job.LastSeq;
    }

    public Task UnsubscribeJob(string jobId) => Groups.RemoveFromGroupAsync(Context.ConnectionId, JobGroup(jobId));

    /// <summary>Follow the queue: every job's state changes you may see, and the order of the line.</summary>
    public async Task SubscribeQueue()
    {
        await Groups.AddToGroupAsync(Context.ConnectionId, QueueGroup);
        await Groups.AddToGroupAsync(Context.ConnectionId, Caller.IsAdmin ? AdminQueueGroup : PrivateQueueGroup(Caller.Name));
    }

    public async Task UnsubscribeQueue()
    {
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, QueueGroup);
        await Groups.RemoveFromGroupAsync(Context.ConnectionId, Caller.IsAdmin ? AdminQueueGroup : PrivateQueueGroup(Caller.Name));
    }
}

/// <summary>
/// The hub's open connections: how many each person holds (<see cref="LiveConnections"/>), and a sweep that closes a
/// connection whose token was revoked or whose user was disabled since it connected - in this process or from the
/// CLI on the same database.
/// </summary>
public sealed class HubSessions(LiveConnections live, UserStore users, ILogger<HubSessions> log) : BackgroundService
{
    private readonly ConcurrentDictionary<string, HubCallerContext> _open = new(StringComparer.Ordinal);

    /// <summary>How often open connections are checked against the database.</summary>
    public static TimeSpan SweepEvery { get; set; } = TimeSpan.FromSeconds(5);

    public bool TryOpen(HubCallerContext context)
    {
        if (context.User?.Identity?.Name is not { } name || !live.TryOpen(name))
            return false;
        _open[context.ConnectionId] = context;
        return true;
    }

    public void Close(HubCallerContext context)
    {
        if (_open.TryRemove(context.ConnectionId, out _) && context.User?.Identity?.Name is { } name)
            live.Close(name);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                await SweepAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        foreach (var (id, context) in _open)
        {
            try
            {
                if (await IsLiveAsync(context, cancellationToken))
                    continue;
                log.LogInformation("closing hub connection {Connection} of {User}: its token or account is no longer valid", id, context.User?.Identity?.Name);
                context.Abort();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "could not check hub connection {Connection}", id);
            }
        }
    }

    private async Task<bool> IsLiveAsync(HubCallerContext context, CancellationToken cancellationToken)
    {
        var principal = context.User!;
        if (principal.HasClaim(c => c.Type == LabAuthentication.VisitorClaim))
            return true;
        if (principal.FindFirst(LabAuthentication.TokenIdClaim)?.Value is { } tokenId)
            return await users.IsLiveAsync(tokenId, cancellationToken);
        return principal.FindFirst(LabAuthentication.UserIdClaim)?.Value is { } userId && await users.GetAsync(userId, cancellationToken) is { Disabled: false };
    }
}

/// <summary>Forwards the lab's in-process messages to hub groups; a private job's messages go only to those who may read it.</summary>
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
                    await RelayAsync(message, stoppingToken);
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

    private Task RelayAsync(LabMessage message, CancellationToken cancellationToken) => message switch
    {
        // Job groups hold only connections that were allowed to subscribe.
        JobEventMessage e => hub.Clients.Group(JobsHub.JobGroup(e.JobId)).SendAsync("event", e, cancellationToken),
        JobStateMessage { Visibility: Visibility.Group } s =>
            hub.Clients.Groups(JobsHub.JobGroup(s.JobId), JobsHub.QueueGroup).SendAsync("state", s, cancellationToken),
        JobStateMessage s =>
            hub.Clients.Groups(JobsHub.JobGroup(s.JobId), JobsHub.PrivateQueueGroup(s.Owner), JobsHub.AdminQueueGroup).SendAsync("state", s, cancellationToken),
        QueueChangedMessage q => hub.Clients.Group(JobsHub.QueueGroup).SendAsync("queue", q, cancellationToken),
        _ => Task.CompletedTask,
    };
}
