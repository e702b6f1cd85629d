using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;

namespace WebLab.Web.Tests.Api;

/// <summary>A job that ran past its deadline reads as timed out everywhere: the API, its filter, the job page.</summary>
public sealed class TimedOutApiTests
{
    [Fact]
    public async Task ATimedOutJob_IsShownAsSuch_InTheApiAndOnItsPage()
    {
        using var factory = new LabApiFactory();
        var client = factory.ClientFor("alice");
        var store = factory.Services.GetRequiredService<JobStore>();
        var (job, _) = await store.SubmitAsync(new JobSubmission(ExperimentKind.Id, "alice", "too slow", "{}"), 3, TimeSpan.FromMinutes(1));
        Assert.Equal(job.Id, (await store.ClaimAsync(Lanes.Train, "test/train-0", TimeSpan.FromMinutes(1)))!.Id);
        Assert.True(await store.TimeOutAsync(job.Id, "test/train-0", "the job ran past its deadline"));

        var detail = await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{job.Id}");
        Assert.Equal("timed-out", detail.GetProperty("job").GetProperty("state").GetString());
        Assert.Equal("the job ran past its deadline", detail.GetProperty("job").GetProperty("error").GetString());
        foreach (var filter in new[] { "timed-out", "timedout" })
        {
            var listed = await client.GetFromJsonAsync<JsonElement>($"/api/jobs?state={filter}");
            Assert.Equal([job.Id], listed.EnumerateArray().Select(j => j.GetProperty("id").GetString()));
        }

        var page = await client.GetStringAsync($"/jobs/{job.Id}");
        Assert.Contains(">timed out<", page, StringComparison.Ordinal);
        Assert.Contains("the job ran past its deadline", page, StringComparison.Ordinal);
    }
}
