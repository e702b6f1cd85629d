using System.Data;
using Dapper;

namespace WebLab.Lab.Jobs;

/// <summary>
/// The queue's fairness rule, in one place for both claiming and queue positions: highest priority first, then the
/// submitter served least recently (round-robin across people, so one person's 50-point sweep does not block a
/// hackathon), then submission order. Each pick counts as serving its submitter, so positions are the claim order.
/// </summary>
internal static class FairQueue
{
    /// <summary>A queued job as the rule sees it (in submission order).</summary>
    internal readonly record struct Entry(string Id, string Owner, int Priority);

    /// <summary>The queued jobs of <paramref name="lane"/> in the order they will run, next first.</summary>
    public static async Task<IReadOnlyList<string>> OrderAsync(IDbConnection connection, IDbTransaction? transaction, string lane,
        CancellationToken cancellationToken)
    {
        var queued = await connection.QueryAsync<Entry>(new CommandDefinition(
            "SELECT id, owner, priority FROM jobs WHERE state = 'queued' AND lane = @lane ORDER BY rowid", new { lane }, transaction,
            cancellationToken: cancellationToken));
        var lastServed = (await connection.QueryAsync<(string Owner, long Last)>(new CommandDefinition(
            "SELECT owner, MAX(claimed_ms) FROM jobs WHERE claimed_ms IS NOT NULL GROUP BY owner", transaction: transaction,
            cancellationToken: cancellationToken))).ToDictionary(r => r.Owner, r => r.Last);
        return Order([.. queued], lastServed);
    }

    /// <summary>The rule itself: <paramref name="queued"/> in submission order, <paramref name="lastServed"/> per owner.</summary>
    public static IReadOnlyList<string> Order(List<Entry> queued, Dictionary<string, long> lastServed)
    {
        var order = new List<string>(queued.Count);
        long tick = long.MaxValue / 2; // later than any real claim stamp
        while (queued.Count > 0)
        {
            // OrderBy is stable: ties keep submission order.
            var next = queued.OrderByDescending(j => j.Priority).ThenBy(j => lastServed.GetValueOrDefault(j.Owner)).First();
            order.Add(next.Id);
            lastServed[next.Owner] = ++tick;
            queued.Remove(next);
        }
        return order;
    }
}
