using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WebLab.Data;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;
using WebLab.Tests;
using WebLab.Web.Tests.Components;

namespace WebLab.Web.Tests.Api;

/// <summary>The images behind a confusion cell: listed from the stored result, served from the job's folder.</summary>
public sealed class MisclassifiedApiTests
{
    [Fact]
    public async Task ACell_ListsItsItems_WithUrlsOfTheRenderedImages_WhichServeAsPng()
    {
        using var factory = new LabApiFactory();
        var client = factory.ClientFor("alice");
        var store = factory.Services.GetRequiredService<JobStore>();
        var folder = factory.Services.GetRequiredService<DataFolder>();
        var (job, _) = await store.SubmitAsync(new JobSubmission(ExperimentKind.Id, "alice", "sample", "{}"), 3);
        Assert.Equal(job.Id, (await store.ClaimAsync(Lanes.Train, "test/train-0", TimeSpan.FromMinutes(1)))!.Id);
        Assert.True(await store.CompleteAsync(job.Id, "test/train-0", JsonSerializer.Serialize(SampleResults.Experiment(), WebLabJson.Compact)));
        // The worker renders the images; here one of the two is there.
        var images = folder.JobItemImages(job.Id);
        Directory.CreateDirectory(images);
        await File.WriteAllBytesAsync(Path.Combine(images, ItemImages.FileName("test#11")), TestFiles.Image(28, 28, 1, gray: true));

        var cell = await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{job.Id}/confusion/transfer/1/0/1");
        Assert.Equal(("sandal", "sneaker", 4), (cell.GetProperty("trueClass").GetString(), cell.GetProperty("predictedClass").GetString(), cell.GetProperty("count").GetInt32()));
        var items = cell.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["test#11", "test#17"], items.Select(i => i.GetProperty("itemId").GetString()));
        var url = items[0].GetProperty("image").GetString()!;
        Assert.False(items[1].TryGetProperty("image", out _), "not rendered: no URL (nulls are left out)");

        var png = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
        Assert.Equal((byte)0x89, (await png.Content.ReadAsByteArrayAsync())[0]);

        // An empty cell lists nothing; unknown arms, seeds, classes and files are 404; names are never paths.
        Assert.Empty((await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{job.Id}/confusion/transfer/1/0/2")).GetProperty("items").EnumerateArray());
        foreach (var path in new[]
        {
            $"/api/jobs/{job.Id}/confusion/scratch/2/0/1", $"/api/jobs/{job.Id}/confusion/transfer/1/0/9", $"/api/jobs/{job.Id}/confusion/probe/1/0/1",
            $"/api/jobs/{job.Id}/items/{ItemImages.FileName("test#17")}", $"/api/jobs/{job.Id}/items/..%2f..%2flab.db", $"/api/jobs/{job.Id}/items/job-1.json",
            "/api/jobs/job_0000000000000000x/confusion/transfer/1/0/1", "/api/jobs/nope/items/0123456789abcdef.png",
        })
        {
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(path)).StatusCode);
        }
    }
}
