using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using WebLab.Data;
using WebLab.Lab.Access;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Lab.Storage;
using WebLab.Web.Access;

namespace WebLab.Web.Api;

/// <summary>A dataset of the lab: its state, what ingest found (classes, counts, sizes, warnings) and thumbnail URLs.</summary>
public sealed record DatasetDto(string Id, string Name, string Owner, string Source, string State, string? Error, string? JobId, string CreatedAt,
    JsonElement? Manifest, IReadOnlyDictionary<string, IReadOnlyList<string>>? Thumbnails, Visibility Visibility);

/// <summary>Answer to an upload: the dataset (ingesting) and its ingest job.</summary>
public sealed record UploadAccepted(DatasetDto Dataset, JobSummary Job);

internal static partial class DatasetsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var group = api.MapGroup("/datasets").WithTags("Datasets");
        group.MapPost("", UploadAsync).DisableAntiforgery().WithMetadata(new UploadEndpoint(Upload.Dataset)).RequireRateLimiting(LabLimits.Upload)
            .WithSummary("Upload a dataset: a zip of class folders (multipart file or application/zip body), or MNIST-style IDX files (images + labels, optionally the test pair). Streams to disk with a size limit, then queues an ingest job.");
        group.MapGet("", ListAsync).WithSummary("The lab's datasets.");
        group.MapGet("/{id}", GetAsync).WithSummary("A dataset: classes, counts, image sizes, duplicates, unreadable files, warnings, thumbnails.");
        group.MapGet("/{id}/thumbnails/{file}", ThumbnailAsync).WithSummary("A thumbnail PNG.");
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a dataset and its files.");
        api.MapGet("/catalogue", Catalogue).WithTags("Datasets")
            .WithSummary("The datasets.json catalogue: sizes, domains, published transfer figures, and whether each is available here.");
    }

    private static async Task<IResult> UploadAsync(HttpContext context, string? name, string? visibility, LabCommands commands, CancellationToken ct)
    {
        var chosen = AccessPolicy.ParseVisibility(visibility); // refused before the upload streams in
        using var upload = await commands.BeginDatasetUploadAsync(Users.Of(context), context.Request.ContentLength ?? 0, ct);
        if (context.Request.ContentLength > upload.Limit + (1 << 20))
            throw new UploadTooLargeException(upload.Limit);
        await ReceiveAsync(context.Request, upload, ct);
        var (dataset, job) = await commands.AcceptDatasetAsync(upload, name, Users.Of(context), chosen, ct);
        return Results.Accepted($"/api/datasets/{dataset.Id}", new UploadAccepted(Dto(dataset, null), JobSummary.Of(job, null)));
    }

    /// <summary>Streams every file of the request into <paramref name="upload"/> (a raw zip body, or multipart files).</summary>
    private static async Task ReceiveAsync(HttpRequest request, DatasetUpload upload, CancellationToken ct)
    {
        var contentType = request.ContentType ?? "";
        if (!contentType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
        {
            if (request.ContentLength == 0)
                throw new BadInputException("The upload is empty: send a zip of class folders (application/zip) or a multipart form with the files.");
            await upload.AddAsync(request.Body, request.Headers["X-File-Name"].ToString() is { Length: > 0 } n ? n : "upload.zip", ct);
            return;
        }
        var boundary = MediaTypeHeaderValue.TryParse(contentType, out var type) ? HeaderUtilities.RemoveQuotes(type.Boundary).Value : null;
        if (boundary is null)
            throw new BadInputException("The multipart upload has no boundary.");
        var reader = new MultipartReader(boundary, request.Body);
        while (await NextSectionAsync(reader, ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                continue;
            await upload.AddAsync(section.Body,
                HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value, ct);
        }
    }

    private static async Task<MultipartSection?> NextSectionAsync(MultipartReader reader, CancellationToken ct)
    {
        try
        {
            return await reader.ReadNextSectionAsync(ct);
        }
        catch (InvalidDataException e)
        {
            throw new BadInputException($"The multipart upload is malformed ({e.Message}).", e);
        }
    }

    private static async Task<IResult> ListAsync(HttpContext context, LabReads reads, JobStore jobs, CancellationToken ct)
    {
        var list = new List<DatasetDto>();
        foreach (var d in await reads.DatasetsAsync(Users.Of(context), ct))
            list.Add(Dto(await DatasetStore.WithIngestOutcomeAsync(d, jobs, ct), null, summaryOnly: true));
        return Results.Ok(list);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext context, LabReads reads, JobStore jobs, CancellationToken ct)
    {
        var dataset = await reads.DatasetAsync(id, Users.Of(context), ct);
        return Results.Ok(Dto(await DatasetStore.WithIngestOutcomeAsync(dataset, jobs, ct), $"/api/datasets/{id}/thumbnails/"));
    }

    private static DatasetDto Dto(DatasetRecord d, string? thumbnailBase, bool summaryOnly = false)
    {
        JsonElement? manifest = d.ManifestJson is null ? null : JsonDocument.Parse(d.ManifestJson).RootElement;
        Dictionary<string, IReadOnlyList<string>>? thumbnails = null;
        if (manifest is { } m && thumbnailBase is not null && m.TryGetProperty("classes", out var classes))
        {
            thumbnails = [];
            foreach (var c in classes.EnumerateArray())
            {
                thumbnails[c.GetProperty("name").GetString()!] = c.GetProperty("thumbnails").EnumerateArray()
                    .Select(t => thumbnailBase + t.GetString()).ToList();
            }
        }
        if (summaryOnly && manifest is { } full)
        {
            manifest = JsonSerializer.SerializeToElement(new
            {
                classes = full.GetProperty("classes").GetArrayLength(),
                trainCount = full.GetProperty("trainCount").GetInt32(),
                testCount = full.GetProperty("testCount").GetInt32(),
                warnings = full.GetProperty("warnings"),
            });
        }
        return new DatasetDto(d.Id, d.Name, d.Owner, d.Source, d.State, d.Error, d.JobId, d.CreatedAt, manifest, thumbnails, d.Visibility);
    }

    [GeneratedRegex(@"^\d{1,4}-\d{1,3}\.png$")]
    private static partial Regex ThumbnailName();

    private static async Task<IResult> ThumbnailAsync(string id, string file, HttpContext context, LabReads reads, DataFolder folder, CancellationToken ct)
    {
        if (!ThumbnailName().IsMatch(file))
            return Problems.NotFound("No such thumbnail.");
        await reads.DatasetAsync(id, Users.Of(context), ct);
        var path = Path.Combine(folder.DatasetFolder(id), "thumbnails", file);
        return File.Exists(path) ? Results.File(path, "image/png") : Problems.NotFound("No such thumbnail.");
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext context, LabCommands commands, CancellationToken ct)
    {
        await commands.DeleteDatasetAsync(id, Users.Of(context), ct);
        return Results.NoContent();
    }

    private static IResult Catalogue() => Results.Ok(DatasetCatalog.BuiltIn.Entries.Select(e => new
    {
        entry = e,
        availability = !e.Readable ? "manual" : DatasetFiles.IsAvailable(e) ? "here" : e.Obtain.Files.Any(f => f.Sha256 is not null) ? "download" : "manual",
    }));
}
