using System.Text.Json;
using WebLab.Data;
using WebLab.Lab.Access;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;
using WebLab.Training;

namespace WebLab.Web.Api;

/// <summary>
/// The images behind a confusion cell. The worker rendered them into the job's folder when the experiment ended; the
/// host only reads the stored result and serves files, it never loads a dataset.
/// </summary>
internal static class MisclassifiedApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var jobs = api.MapGroup("/jobs").WithTags("Jobs");
        jobs.MapGet("/{id}/confusion/{arm}/{seed:int}/{truth:int}/{predicted:int}", CellAsync)
            .WithSummary("The misclassified test images of one confusion cell (true class, predicted class) of an arm and seed, with image URLs.");
        jobs.MapGet("/{id}/items/{file}", ImageAsync).WithSummary("The PNG of a dataset item a job's result points at.");
    }

    private static async Task<IResult> CellAsync(string id, string arm, int seed, int truth, int predicted, HttpContext context, LabReads reads,
        DataFolder folder, CancellationToken ct)
    {
        var job = await reads.JobAsync(id, Users.Of(context), ct);
        if (job.Kind != ExperimentKind.Id || job.ResultJson is null)
            return Problems.NotFound($"Job '{id}' has no experiment result (yet).");
        var result = JsonSerializer.Deserialize<ExperimentResult>(job.ResultJson, WebLabJson.Compact)!;
        var images = folder.JobItemImages(id);
        var cell = Misclassified.Of(id, result, arm, seed, truth, predicted, file => File.Exists(Path.Combine(images, file)));
        return cell is null
            ? Problems.NotFound($"Job '{id}' has no arm '{arm}' with seed {seed}, or no classes {truth} and {predicted}.")
            : Results.Ok(cell);
    }

    private static async Task<IResult> ImageAsync(string id, string file, HttpContext context, LabReads reads, DataFolder folder, CancellationToken ct)
    {
        if (!Ids.IsValid(id, "job") || !ItemImages.IsFileName(file) || await reads.FindJobAsync(id, Users.Of(context), ct) is null)
            return Problems.NotFound("No such image.");
        var path = Path.Combine(folder.JobItemImages(id), file);
        return File.Exists(path) ? Results.File(path, "image/png") : Problems.NotFound("No such image.");
    }
}
