using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using WebLab.Lab;
using WebLab.Lab.Access;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;
using WebLab.Web.Access;

namespace WebLab.Web.Api;

/// <summary>A checkpoint of the zoo with its WebLab metadata (architecture, classes, input size, mean/std, lineage...).</summary>
public sealed record CheckpointDto(string Id, string Name, string Owner, bool Builtin, string? ParentId, string? JobId, string CreatedAt, JsonElement Info,
    long Bytes, Visibility Visibility);

internal static class CheckpointsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var group = api.MapGroup("/checkpoints").WithTags("Checkpoints");
        group.MapGet("", ListAsync).WithSummary("The model zoo.");
        group.MapGet("/{id}", GetAsync).WithSummary("A checkpoint's metadata.");
        group.MapGet("/{id}/download", DownloadAsync)
            .WithSummary("Download: format=weblab (default) or safetensors. A .weblab file is a safetensors file with torchvision key names whose header also carries WebLab's metadata, so both load in any safetensors reader.");
        group.MapPost("/import", ImportAsync).DisableAntiforgery().WithMetadata(new UploadEndpoint(Upload.Checkpoint)).RequireRateLimiting(LabLimits.Upload)
            .WithSummary("Import torchvision-layout safetensors weights (multipart: file, architecture, inputSize, optional classNames, mean, std, name, sourceDataset); queues an import job that validates every tensor.");
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a checkpoint (not the built-in one).");
        group.MapPost("/{id}/predict", PredictAsync).DisableAntiforgery().WithMetadata(new UploadEndpoint(Upload.Image)).RequireRateLimiting(LabLimits.Upload)
            .WithSummary("Try a checkpoint: the top-5 classes for one image (multipart field 'image'; JPEG, PNG, BMP, WebP).");
    }

    private static CheckpointDto Dto(CheckpointRecord c) => new(c.Id, c.Name, c.Owner, c.Builtin, c.ParentId, c.JobId, c.CreatedAt,
        JsonDocument.Parse(c.InfoJson).RootElement, File.Exists(c.Path) ? new FileInfo(c.Path).Length : 0, c.Visibility);

    private static async Task<IResult> ListAsync(HttpContext context, LabReads reads, CancellationToken ct) =>
        Results.Ok((await reads.CheckpointsAsync(Users.Of(context), ct)).Select(Dto).ToList());

    private static async Task<IResult> GetAsync(string id, HttpContext context, LabReads reads, CancellationToken ct) =>
        Results.Ok(Dto(await reads.CheckpointAsync(id, Users.Of(context), ct)));

    private static async Task<IResult> DownloadAsync(string id, string? format, HttpContext context, LabReads reads, CancellationToken ct)
    {
        var c = await reads.CheckpointAsync(id, Users.Of(context), ct);
        if (!File.Exists(c.Path))
            return Problems.NotFound($"No checkpoint '{id}'.");
        var extension = (format ?? "weblab") switch
        {
            "weblab" => ".weblab",
            "safetensors" => ".safetensors",
            _ => null,
        };
        if (extension is null)
            return Results.Problem("format must be weblab or safetensors.", statusCode: 400, title: "Bad input");
        var safeName = string.Concat(c.Name.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '-')).Trim('-');
        return Results.File(c.Path, "application/octet-stream", (safeName.Length > 0 ? safeName : c.Id) + extension, enableRangeProcessing: true);
    }

    private static async Task<IResult> ImportAsync(HttpContext context, [FromForm] ImportForm form, LabCommands commands,
        IOptions<LabOptions> options, CancellationToken ct)
    {
        if (form.File is null)
        {
            var errors = form.Validate();
            errors["file"] = ["attach the .safetensors file."];
            throw new SpecValidationException(errors);
        }
        if (form.File.Length > options.Value.MaxCheckpointBytes)
            throw new UploadTooLargeException(options.Value.MaxCheckpointBytes);
        await using var stream = form.File.OpenReadStream();
        var job = await commands.ImportCheckpointAsync(stream, form.File.FileName, form, Users.Of(context), form.File.Length, ct);
        return Results.Accepted($"/api/jobs/{job.Id}", JobSummary.Of(job, null));
    }

    private static async Task<IResult> PredictAsync(string id, IFormFile? image, HttpContext context, LabCommands commands, CancellationToken ct)
    {
        if (image is null)
            throw new SpecValidationException(new Dictionary<string, string[]> { ["image"] = ["attach one image file."] });
        if (image.Length > LabCommands.MaxPredictImageBytes)
            throw new UploadTooLargeException(LabCommands.MaxPredictImageBytes);
        await using var stream = image.OpenReadStream();
        return Results.Ok(await commands.PredictAsync(id, stream, image.FileName, Users.Of(context), ct));
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext context, LabCommands commands, CancellationToken ct)
    {
        await commands.DeleteCheckpointAsync(id, Users.Of(context), ct);
        return Results.NoContent();
    }
}

/// <summary>The import form: the weights file and its fields.</summary>
public sealed class ImportForm : CheckpointImportFields
{
    public IFormFile? File { get; set; }
}
