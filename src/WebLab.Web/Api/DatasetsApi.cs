using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using WebLab.Data;
using WebLab.Lab;
using WebLab.Lab.Catalog;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;

namespace WebLab.Web.Api;

/// <summary>A dataset of the lab: its state, what ingest found (classes, counts, sizes, warnings) and thumbnail URLs.</summary>
public sealed record DatasetDto(string Id, string Name, string Owner, string Source, string State, string? Error, string? JobId, string CreatedAt,
    JsonElement? Manifest, IReadOnlyDictionary<string, IReadOnlyList<string>>? Thumbnails);

/// <summary>Answer to an upload: the dataset (ingesting) and its ingest job.</summary>
public sealed record UploadAccepted(DatasetDto Dataset, JobSummary Job);

internal static partial class DatasetsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        var group = api.MapGroup("/datasets").WithTags("Datasets");
        group.MapPost("", UploadAsync).DisableAntiforgery()
            .WithSummary("Upload a dataset: a zip of class folders (multipart file or application/zip body), or MNIST-style IDX files (images + labels, optionally the test pair). Streams to disk with a size limit, then queues an ingest job.");
        group.MapGet("", ListAsync).WithSummary("The lab's datasets.");
        group.MapGet("/{id}", GetAsync).WithSummary("A dataset: classes, counts, image sizes, duplicates, unreadable files, warnings, thumbnails.");
        group.MapGet("/{id}/thumbnails/{file}", Thumbnail).WithSummary("A thumbnail PNG.");
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Delete a dataset and its files.");
        api.MapGet("/catalogue", Catalogue).WithTags("Datasets")
            .WithSummary("The datasets.json catalogue: sizes, domains, published transfer figures, and whether each is available here.");
    }

    private static async Task<IResult> UploadAsync(HttpContext context, string? name, DataFolder folder, DatasetStore datasets, LabCommands commands,
        IOptions<LabOptions> options, CancellationToken ct)
    {
        var limit = options.Value.MaxUploadBytes;
        if (context.Request.ContentLength > limit + (1 << 20))
            throw new UploadTooLargeException(limit);
        var (id, staging) = NewStaging(folder);
        try
        {
            var files = await ReceiveAsync(context.Request, staging, folder, limit, ct);
            var accepted = await AcceptStagedAsync(id, staging, files, name, Users.Of(context), folder, datasets, commands);
            return Results.Accepted($"/api/datasets/{id}", accepted);
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>A new dataset id and its staging folder (under the data folder's tmp/).</summary>
    internal static (string Id, string Staging) NewStaging(DataFolder folder)
    {
        var id = Ids.New("ds");
        var staging = Path.Combine(folder.Temp, id);
        Directory.CreateDirectory(staging);
        return (id, staging);
    }

    /// <summary>Checks the staged files, moves them into the dataset's folder, records it and queues its ingest job.</summary>
    internal static async Task<UploadAccepted> AcceptStagedAsync(string id, string staging, List<(string Path, string Name)> files, string? name,
        string owner, DataFolder folder, DatasetStore datasets, LabCommands commands)
    {
        var (source, path, fileName) = Arrange(files, staging);
        var final = folder.DatasetFolder(id);
        Directory.Move(staging, final);
        var datasetPath = Path.Combine(final, path);
        var record = new DatasetRecord
        {
            Id = id,
            Name = string.IsNullOrWhiteSpace(name) ? Path.GetFileNameWithoutExtension(fileName) : name.Trim(),
            Owner = owner,
            Source = source,
            State = DatasetStore.Ingesting,
            Path = datasetPath,
            CreatedAt = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        await datasets.AddAsync(record);
        var (job, _) = await commands.SubmitAsync(JobKinds.Of<IngestKind>(), new IngestSpec(id), owner, $"Ingest {record.Name}");
        await datasets.SetJobAsync(id, job.Id, CancellationToken.None);
        return new UploadAccepted(Dto(record with { JobId = job.Id }, null), JobSummary.Of(job, null));
    }

    /// <summary>Streams every file of the request to <paramref name="staging"/>; returns (saved path, client file name).</summary>
    private static async Task<List<(string Path, string Name)>> ReceiveAsync(HttpRequest request, string staging, DataFolder folder, long limit,
        CancellationToken ct)
    {
        var files = new List<(string, string)>();
        long total = 0;
        var contentType = request.ContentType ?? "";
        if (!contentType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
        {
            if (request.ContentLength == 0)
                throw new BadInputException("The upload is empty: send a zip of class folders (application/zip) or a multipart form with the files.");
            var target = Path.Combine(staging, "upload-0");
            await folder.WriteAtomicAsync(request.Body, target, limit, ct);
            files.Add((target, request.Headers["X-File-Name"].ToString() is { Length: > 0 } n ? n : "upload.zip"));
            return files;
        }
        var boundary = HeaderUtilities.RemoveQuotes(MediaTypeHeaderValue.Parse(contentType).Boundary).Value
                       ?? throw new BadInputException("The multipart upload has no boundary.");
        var reader = new MultipartReader(boundary, request.Body);
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) || !disposition.IsFileDisposition())
                continue;
            if (files.Count >= 4)
                throw new BadInputException("At most 4 files per upload (one zip, or the IDX images/labels of train and test).");
            var target = Path.Combine(staging, $"upload-{files.Count}");
            total += await folder.WriteAtomicAsync(section.Body, target, limit - total, ct);
            var clientName = Path.GetFileName(HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "");
            files.Add((target, clientName.Length > 0 ? clientName : $"file-{files.Count}"));
        }
        if (files.Count == 0)
            throw new BadInputException("No file in the upload: attach a zip of class folders, or the IDX images and labels files.");
        return files;
    }

    /// <summary>Checks what arrived and gives the files their final names: data.zip, or train-/t10k- IDX names.</summary>
    private static (string Source, string Path, string FileName) Arrange(List<(string Path, string Name)> files, string staging)
    {
        var kinds = files.Select(f => (f.Path, f.Name, Kind: Sniff(f.Path))).ToList();
        if (kinds.Any(k => k.Kind == FileKind.Zip))
        {
            if (kinds.Count != 1)
                throw new BadInputException("Upload one zip on its own (a zip of class folders), not together with other files.");
            var zipPath = Path.Combine(staging, "data.zip");
            File.Move(kinds[0].Path, zipPath);
            try
            {
                using var zip = ZipFile.OpenRead(zipPath);
                ArchiveGuard.Validate(zip, kinds[0].Name, ArchiveLimits.Default);
            }
            catch (InvalidDataException e)
            {
                throw new BadInputException($"{kinds[0].Name} is not a readable zip ({e.Message}).", e);
            }
            return ("zip", "data.zip", kinds[0].Name);
        }
        foreach (var k in kinds.Where(k => k.Kind == FileKind.Unknown))
            throw new BadInputException($"{k.Name} is neither a zip nor an IDX file (images magic 0x00000803 / labels 0x00000801, optionally gzipped).");
        var named = new Dictionary<string, string>();
        foreach (var (path, name, kind) in kinds)
        {
            var split = name.Contains("t10k", StringComparison.OrdinalIgnoreCase) || name.Contains("test", StringComparison.OrdinalIgnoreCase) ? "t10k" : "train";
            var role = kind is FileKind.IdxImages or FileKind.IdxImagesGz ? "images-idx3-ubyte" : "labels-idx1-ubyte";
            var target = $"{split}-{role}{(kind is FileKind.IdxImagesGz or FileKind.IdxLabelsGz ? ".gz" : "")}";
            if (named.Values.Any(v => v.StartsWith($"{split}-{role}", StringComparison.Ordinal)))
                throw new BadInputException($"Two {split} {role[..6]} files ({name} and another); name test files with 'test' or 't10k'.");
            named[path] = target;
        }
        if (!named.Values.Any(v => v.StartsWith("train-images", StringComparison.Ordinal)) || !named.Values.Any(v => v.StartsWith("train-labels", StringComparison.Ordinal)))
            throw new BadInputException("An IDX upload needs both the training images file (idx3) and the training labels file (idx1).");
        foreach (var (path, target) in named)
            File.Move(path, Path.Combine(staging, target));
        return ("idx", "", kinds[0].Name);
    }

    private enum FileKind { Unknown, Zip, IdxImages, IdxLabels, IdxImagesGz, IdxLabelsGz }

    private static FileKind Sniff(string path)
    {
        Span<byte> head = stackalloc byte[4];
        using var file = File.OpenRead(path);
        if (file.ReadAtLeast(head, 4, throwOnEndOfStream: false) < 4)
            return FileKind.Unknown;
        if (head[0] == 'P' && head[1] == 'K')
            return FileKind.Zip;
        bool gz = head[0] == 0x1f && head[1] == 0x8b;
        if (gz)
        {
            file.Position = 0;
            using var unzipped = new GZipStream(file, CompressionMode.Decompress);
            try
            {
                if (unzipped.ReadAtLeast(head, 4, throwOnEndOfStream: false) < 4)
                    return FileKind.Unknown;
            }
            catch (InvalidDataException)
            {
                return FileKind.Unknown;
            }
        }
        if (head[0] != 0 || head[1] != 0)
            return FileKind.Unknown;
        return (head[2], head[3], gz) switch
        {
            (8, 3, false) => FileKind.IdxImages,
            (8, 1, false) => FileKind.IdxLabels,
            (8, 3, true) => FileKind.IdxImagesGz,
            (8, 1, true) => FileKind.IdxLabelsGz,
            _ => FileKind.Unknown,
        };
    }

    private static async Task<IResult> ListAsync(DatasetStore datasets, JobStore jobs, CancellationToken ct)
    {
        var list = new List<DatasetDto>();
        foreach (var d in await datasets.ListAsync(ct))
            list.Add(Dto(await DatasetStore.WithIngestOutcomeAsync(d, jobs, ct), null, summaryOnly: true));
        return Results.Ok(list);
    }

    private static async Task<IResult> GetAsync(string id, DatasetStore datasets, JobStore jobs, CancellationToken ct)
    {
        if (!Ids.IsValid(id, "ds") || await datasets.GetAsync(id, ct) is not { } dataset)
            return Problems.NotFound($"No dataset '{id}'.");
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
        return new DatasetDto(d.Id, d.Name, d.Owner, d.Source, d.State, d.Error, d.JobId, d.CreatedAt, manifest, thumbnails);
    }

    [GeneratedRegex(@"^\d{1,4}-\d{1,3}\.png$")]
    private static partial Regex ThumbnailName();

    private static IResult Thumbnail(string id, string file, DataFolder folder)
    {
        if (!Ids.IsValid(id, "ds") || !ThumbnailName().IsMatch(file))
            return Problems.NotFound("No such thumbnail.");
        var path = Path.Combine(folder.DatasetFolder(id), "thumbnails", file);
        return File.Exists(path) ? Results.File(path, "image/png") : Problems.NotFound("No such thumbnail.");
    }

    private static async Task<IResult> DeleteAsync(string id, DatasetStore datasets, DataFolder folder, CancellationToken ct)
    {
        if (!Ids.IsValid(id, "ds") || !await datasets.DeleteAsync(id, ct))
            return Problems.NotFound($"No dataset '{id}'.");
        folder.DeleteOwned(folder.DatasetFolder(id));
        return Results.NoContent();
    }

    private static IResult Catalogue() => Results.Ok(DatasetCatalog.BuiltIn.Entries.Select(e => new
    {
        entry = e,
        availability = !e.Readable ? "manual" : DatasetFiles.IsAvailable(e) ? "here" : e.Obtain.Files.Any(f => f.Sha256 is not null) ? "download" : "manual",
    }));
}
