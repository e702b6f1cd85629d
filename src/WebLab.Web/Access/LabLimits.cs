using System.Collections.Concurrent;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using WebLab.Lab;
using WebLab.Lab.Jobs;

namespace WebLab.Web.Access;

/// <summary>What an upload endpoint takes, and so how large its body may be.</summary>
internal enum Upload
{
    Dataset,
    Checkpoint,
    Image,
}

/// <summary>Marks an endpoint that takes an upload; every other endpoint's body is capped at <see cref="LabOptions.MaxJsonBytes"/>.</summary>
internal sealed record UploadEndpoint(Upload Takes)
{
    /// <summary>The file's limit plus room for the multipart framing and form fields.</summary>
    public long MaxBytes(LabOptions options) => (1 << 20) + Takes switch
    {
        Upload.Dataset => options.MaxUploadBytes,
        Upload.Checkpoint => options.MaxCheckpointBytes,
        _ => LabCommands.MaxPredictImageBytes,
    };
}

/// <summary>
/// Marks the endpoint workers on other machines post to (<see cref="Api.WorkerApi"/>): a job's own traffic, bounded by its
/// attempt token, so no per-address window (a node running eight array tasks posts eight streams) and larger batches.
/// </summary>
internal sealed record WorkerEndpoint;

/// <summary>
/// Limits on requests per IP address, with ASP.NET Core's rate limiter: every write (POST, PUT, DELETE), sign-in
/// attempts, submissions and uploads. Per person (a person with many tokens still has one budget, pages included):
/// <see cref="WebLab.Lab.Access.PersonLimits"/>, where the commands run.
/// </summary>
internal static class LabLimits
{
    public const string Login = "login";
    public const string Submit = "submit";
    public const string Upload = "upload";

    public static IServiceCollection AddLabLimits(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<LabOptions>>((o, lab) =>
        {
            var per = lab.Value.RateLimits;
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = async (context, ct) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry))
                    context.HttpContext.Response.Headers.RetryAfter = ((int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await Results.Problem("Too many requests; wait a little and try again.", statusCode: StatusCodes.Status429TooManyRequests,
                    title: "Slow down").ExecuteAsync(context.HttpContext);
            };
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(c =>
                HttpMethods.IsGet(c.Request.Method) || HttpMethods.IsHead(c.Request.Method) ? RateLimitPartition.GetNoLimiter("reads")
                    : c.GetEndpoint()?.Metadata.GetMetadata<WorkerEndpoint>() is not null ? RateLimitPartition.GetNoLimiter("workers")
                    : Window($"ip:{Address(c)}", per.WritesPerAddress));
            o.AddPolicy(Login, c => Window($"login:{Address(c)}", per.SignInsPerAddress));
            o.AddPolicy(Submit, c => Window($"submit:{Address(c)}", per.SubmissionsPerAddress));
            o.AddPolicy(Upload, c => Window($"upload:{Address(c)}", per.UploadsPerAddress));
        });
        return services;
    }

    /// <summary>JSON and form bodies: small. Uploads (marked <see cref="UploadEndpoint"/>): the configured limits.</summary>
    public static IApplicationBuilder UseBodyLimits(this IApplicationBuilder app, LabOptions options) => app.Use(async (context, next) =>
    {
        var metadata = context.GetEndpoint()?.Metadata;
        var max = metadata?.GetMetadata<UploadEndpoint>()?.MaxBytes(options)
                  ?? (metadata?.GetMetadata<WorkerEndpoint>() is not null ? Api.WorkerApi.MaxPostBytes : options.MaxJsonBytes);
        if (context.Request.ContentLength > max)
        {
            // Refused before a byte is read (a body that does not say its length is cut off at the limit while read).
            await Results.Problem($"The request body is larger than the {max >> 10} KiB this endpoint accepts.",
                statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large").ExecuteAsync(context);
            return;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = max;
        await next(context);
    });

    private static RateLimitPartition<string> Window(string key, int permits) =>
        RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = permits,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });

    private static string Address(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? IPAddress.None.ToString();
}

/// <summary>Open pages and hub connections per person: a tab storm or a script cannot hold the server's memory.</summary>
public sealed class LiveConnections(IOptions<LabOptions> options)
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    /// <summary>Counts one more for <paramref name="person"/>; false (and nothing counted) at the limit.</summary>
    public bool TryOpen(string person)
    {
        while (true)
        {
            var current = _open.GetValueOrDefault(person);
            if (current >= options.Value.MaxConnectionsPerUser)
                return false;
            if (current == 0 ? _open.TryAdd(person, 1) : _open.TryUpdate(person, current + 1, current))
                return true;
        }
    }

    public void Close(string person)
    {
        while (_open.TryGetValue(person, out var current))
        {
            if (current <= 1 ? _open.TryRemove(new KeyValuePair<string, int>(person, current)) : _open.TryUpdate(person, current - 1, current))
                return;
        }
    }
}
