using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using WebLab.Lab;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;

namespace WebLab.Web.Api;

/// <summary>A checkpoint of the zoo with its WebLab metadata (architecture, classes, input size, mean/std, lineage...).</summary>
public sealed record CheckpointDto(string Id, string Name, string Owner, bool Builtin, string? ParentId, string? JobId, string CreatedAt, JsonElement Info,
    long Bytes);

internal static class CheckpointsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var group = api.MapGroup("/checkpoints").WithTags("Checkpoints");
        group.MapGet("", ListAsync).WithSummary("The model zoo.");
        group.MapGet("/{id}", GetAsync).WithSummary("A checkpoint's metadata.");
        group.MapGet("/{id}/download", DownloadAsync)
            .WithSummary("Download: format=weblab (default) or safetensors. A .weblab file is a safetensors file with torchvision key names whose header also carries WebLab's metadata, so both load in any safetensors reader.");
        group.MapPost("/import", ImportAsync).DisableAntiforgery()
            .WithSummary("Import torchvision-layout safetensors weights (multipart: file, architecture, inputSize, optional classNames, mean, std, name, sourceDataset); queues an import job that validates every tensor.");
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a checkpoint (not the built-in one).");
        group.MapPost("/{id}/predict", PredictAsync).DisableAntiforgery()
            .WithSummary("Try a checkpoint: the top-5 classes for one image (multipart field 'image'; JPEG, PNG, BMP, WebP).");
    }

    private static CheckpointDto Dto(CheckpointRecord c) => new(c.Id, c.Name, c.Owner, c.Builtin, c.ParentId, c.JobId, c.CreatedAt,
        JsonDocument.Parse(c.InfoJson).RootElement, File.Exists(c.Path) ? new FileInfo(c.Path).Length : 0);

    private static async Task<IResult> ListAsync(CheckpointStore store, CancellationToken ct) =>
        Results.Ok((await store.ListAsync(ct)).Select(Dto).ToList());

    private static async Task<IResult> GetAsync(string id, CheckpointStore store, CancellationToken ct) =>
        await FindAsync(id, store, ct) is { } c ? Results.Ok(Dto(c)) : Problems.NotFound($"No checkpoint '{id}'.");

    private static Task<CheckpointRecord?> FindAsync(string id, CheckpointStore store, CancellationToken ct) => store.FindAsync(id, ct);

    private static async Task<IResult> DownloadAsync(string id, string? format, CheckpointStore store, CancellationToken ct)
    {
        if (await FindAsync(id, store, ct) is not { } c || !File.Exists(c.Path))
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

    private static async Task<IResult> ImportAsync(HttpContext context, [FromForm] ImportForm form, DataFolder folder, LabCommands commands,
        IOptions<LabOptions> options, CancellationToken ct)
    {
        if (form.File is null)
        {
            var errors = ValidateImport(form);
            errors["file"] = ["attach the .safetensors file."];
            throw new SpecValidationException(errors);
        }
        if (form.File.Length > options.Value.MaxCheckpointBytes)
            throw new UploadTooLargeException(options.Value.MaxCheckpointBytes);
        await using var stream = form.File.OpenReadStream();
        var job = await AcceptImportAsync(stream, form.File.FileName, form, Users.Of(context), folder, commands, options.Value, ct);
        return Results.Accepted($"/api/jobs/{job.Id}", JobSummary.Of(job, null));
    }

    /// <summary>Field errors of an import form (the file aside); empty when it is valid.</summary>
    public static Dictionary<string, string[]> ValidateImport(ImportForm form)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(form.Architecture) || !Models.Architectures.All.Any(a => a.Name == form.Architecture))
            errors["architecture"] = [$"one of {string.Join(", ", Models.Architectures.All.Select(a => a.Name))}."];
        if (form.InputSize is < 8 or > 1024)
            errors["inputSize"] = ["the input size the weights were trained at, 8..1024 (224 for torchvision ImageNet models)."];
        ParseFloats(form.Mean, "mean", errors);
        ParseFloats(form.Std, "std", errors);
        return errors;
    }

    /// <summary>
    /// Validates the fields, streams the file into the uploads folder (size limit, atomic), checks its safetensors header
    /// and queues the import job that validates every tensor (the API and the Checkpoints page both come here).
    /// </summary>
    public static async Task<JobRecord> AcceptImportAsync(Stream file, string fileName, ImportForm form, string owner, DataFolder folder, LabCommands commands,
        LabOptions options, CancellationToken ct)
    {
        var errors = ValidateImport(form);
        if (errors.Count > 0)
            throw new SpecValidationException(errors);
        float[]? mean = ParseFloats(form.Mean, "mean", errors), std = ParseFloats(form.Std, "std", errors);
        var uploadName = DataFolder.NewUploadName(".safetensors");
        var upload = folder.UploadFile(uploadName);
        await folder.WriteAtomicAsync(file, upload, options.MaxCheckpointBytes, ct);
        try
        {
            CheckHeader(upload, fileName);
        }
        catch
        {
            File.Delete(upload);
            throw;
        }
        var name = string.IsNullOrWhiteSpace(form.Name) ? Path.GetFileNameWithoutExtension(fileName) : form.Name.Trim();
        // The output is placed by the server when the job runs (next to the other checkpoints, named after the job).
        var spec = new ImportSpec(uploadName, form.Architecture!, form.InputSize, SplitList(form.ClassNames), mean, std, name,
            string.IsNullOrWhiteSpace(form.SourceDataset) ? null : form.SourceDataset.Trim());
        var (job, _) = await commands.SubmitAsync(JobKinds.Of<ImportKind>(), spec, owner, $"Import {name}", cancellationToken: ct);
        return job;
    }

    private static void CheckHeader(string path, string name)
    {
        Span<byte> head = stackalloc byte[9];
        using var file = File.OpenRead(path);
        if (file.ReadAtLeast(head, 9, throwOnEndOfStream: false) < 9)
            throw new BadInputException($"{name} is too short to be a safetensors file.");
        if (head[0] == 'P' && head[1] == 'K' || head[0] == 0x80)
            throw new BadInputException($"{name} looks like a PyTorch pickle checkpoint (.pt/.pth); WebLab never unpickles (it runs arbitrary code). " +
                                        "Convert it: python -c \"import torch; from safetensors.torch import save_file; save_file(torch.load('model.pth', weights_only=True), 'model.safetensors')\"");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(head);
        if (headerLength < 2 || headerLength > 100_000_000 || (long)headerLength + 8 > file.Length || head[8] != '{')
            throw new BadInputException($"{name} is not a safetensors file (bad header length or no JSON header).");
    }

    private static float[]? ParseFloats(string? text, string field, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
            return null;
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                errors[field] = [$"comma-separated numbers, e.g. 0.485,0.456,0.406 ('{parts[i]}' is not a number)."];
                return null;
            }
        }
        return values;
    }

    private static List<string>? SplitList(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();

    private static async Task<IResult> PredictAsync(string id, IFormFile? image, HttpContext context, Predictions predictions, CancellationToken ct)
    {
        if (image is null)
            throw new SpecValidationException(new Dictionary<string, string[]> { ["image"] = ["attach one image file."] });
        if (image.Length > Predictions.MaxImageBytes)
            throw new WebLab.Lab.Storage.UploadTooLargeException(Predictions.MaxImageBytes);
        await using var stream = image.OpenReadStream();
        return Results.Ok(await predictions.PredictAsync(id, stream, image.FileName, Users.Of(context), ct));
    }

    private static async Task<IResult> DeleteAsync(string id, CheckpointStore store, DataFolder folder, CancellationToken ct)
    {
        if (await FindAsync(id, store, ct) is not { } c)
            return Problems.NotFound($"No checkpoint '{id}'.");
        if (c.Builtin)
            return Problems.Conflict("The built-in demo source cannot be deleted.");
        await store.DeleteAsync(c.Id, ct);
        folder.DeleteOwned(c.Path);
        return Results.NoContent();
    }
}

/// <summary>The import form.</summary>
public sealed class ImportForm
{
    public IFormFile? File { get; set; }
    public string? Architecture { get; set; }
    public int InputSize { get; set; }
    public string? ClassNames { get; set; }
    public string? Mean { get; set; }
    public string? Std { get; set; }
    public string? Name { get; set; }
    public string? SourceDataset { get; set; }
}
