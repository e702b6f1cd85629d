using System.Globalization;
using WebLab.Lab.Workers;
using WebLab.Lab.Workers.Executors;
using WebLab.Web.Access;

namespace WebLab.Web.Api;

/// <summary>
/// Where workers on other machines (Slurm, Kubernetes) post their protocol lines: not people's API. A post carries the
/// attempt token from its job file (<c>Authorization: WebLab-Attempt ...</c>), which names one attempt of one job and
/// expires; the answer holds the commands waiting for the worker (cancel, stop, interrupt).
/// </summary>
internal static class WorkerApi
{
    /// <summary>Largest post: a batch of lines, curves included.</summary>
    public const long MaxPostBytes = 16L << 20;

    public static void Map(IEndpointRouteBuilder app) =>
        app.MapPost(LabUplink.Path, PostAsync)
            .AllowAnonymous() // the attempt token is the credential, checked below
            .WithMetadata(new WorkerEndpoint())
            .ExcludeFromDescription();

    private static async Task<IResult> PostAsync(HttpContext context, RemoteWorkers workers, CancellationToken ct)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var prefix = LabUplink.Scheme + " ";
        if (!header.StartsWith(prefix, StringComparison.Ordinal))
            return Results.Problem($"Workers post with 'Authorization: {LabUplink.Scheme} <token>' from their job file.", statusCode: StatusCodes.Status401Unauthorized);
        if (!int.TryParse(context.Request.Query["task"], NumberStyles.None, CultureInfo.InvariantCulture, out var task))
            task = 0;
        using var reader = new StreamReader(context.Request.Body);
        var lines = (await reader.ReadToEndAsync(ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var answer = workers.Post(header[prefix.Length..].Trim(), task, lines);
        return answer.Status switch
        {
            UplinkStatus.Ok => Results.Ok(new UplinkReply(answer.Commands)),
            UplinkStatus.Unauthorized => Results.Problem("The attempt token is not valid here, or it has expired.", statusCode: StatusCodes.Status401Unauthorized),
            UplinkStatus.Gone => Results.Problem("This attempt is over in the lab (it ended, was cancelled or was taken over): stop.", statusCode: StatusCodes.Status410Gone),
            _ => Results.Problem($"The attempt has no task {task}.", statusCode: StatusCodes.Status400BadRequest),
        };
    }
}
