using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using WebLab.Lab.Jobs;

namespace WebLab.Lab.Access;

/// <summary>
/// Submissions and uploads per person per minute, on every path in (API, pages, scripts): the host's ASP.NET Core
/// rate limiter counts per IP address at the HTTP edge; this counts per person, with the same library
/// (System.Threading.RateLimiting), where the commands run. The lab's own jobs are not counted.
/// </summary>
public sealed class PersonLimits(IOptions<LabOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _submissions = PerMinute(options.Value.RateLimits.SubmissionsPerPerson);
    private readonly PartitionedRateLimiter<string> _uploads = PerMinute(options.Value.RateLimits.UploadsPerPerson);

    /// <summary>Counts a submission; throws <see cref="RateLimitedException"/> past the limit.</summary>
    public void Submission(Caller caller) => Take(_submissions, caller, "submissions");

    /// <summary>Counts an upload (dataset, weights, an image to try); throws <see cref="RateLimitedException"/> past the limit.</summary>
    public void Upload(Caller caller) => Take(_uploads, caller, "uploads");

    private static void Take(PartitionedRateLimiter<string> limiter, Caller caller, string what)
    {
        if (caller == Caller.Lab)
            return;
        using var lease = limiter.AttemptAcquire(caller.Name);
        if (!lease.IsAcquired)
            throw new RateLimitedException($"Too many {what} from {caller.Name} in the last minute; wait a little and try again.");
    }

    private static PartitionedRateLimiter<string> PerMinute(int permits) => PartitionedRateLimiter.Create<string, string>(person =>
        RateLimitPartition.GetFixedWindowLimiter(person, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    public void Dispose()
    {
        _submissions.Dispose();
        _uploads.Dispose();
    }
}
