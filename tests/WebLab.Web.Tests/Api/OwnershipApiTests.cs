using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace WebLab.Web.Tests.Api;

/// <summary>"Cancel your own": cancel, stop and delete are refused with 403 problem details unless the caller owns the job.</summary>
public sealed class OwnershipApiTests(LabApiFactory factory) : IClassFixture<LabApiFactory>
{
    private static readonly object s_pretrain = new
    {
        kind = "pretrain",
        spec = new { dataset = "fashion-mnist", classes = new[] { "0", "1" }, architecture = "resnet8", epochs = 1, perClass = 10 },
    };

    private HttpClient Client(string? user = null, string? cookie = null)
    {
        var client = factory.CreateClient();
        if (user is not null)
            client.DefaultRequestHeaders.Add("X-WebLab-User", user);
        if (cookie is not null)
            client.DefaultRequestHeaders.Add("Cookie", $"weblab-user={cookie}");
        return client;
    }

    private async Task<string> SubmitAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/api/jobs", s_pretrain);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<string> ForbiddenAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(403, problem.GetProperty("status").GetInt32());
        Assert.Equal("Not your job", problem.GetProperty("title").GetString());
        return problem.GetProperty("detail").GetString()!;
    }

    [Fact]
    public async Task SomeoneElse_CannotCancelStopOrDelete_TheOwnerCan()
    {
        var alice = Client("alice");
        var bob = Client("bob");
        var id = await SubmitAsync(alice);

        var refused = await ForbiddenAsync(await bob.PostAsync($"/api/jobs/{id}/cancel", null));
        Assert.Equal($"Job '{id}' belongs to 'alice'; only they can cancel it (you are 'bob'). People name themselves with the X-WebLab-User header or the weblab-user cookie.", refused);
        Assert.Contains("only they can stop it", await ForbiddenAsync(await bob.PostAsync($"/api/jobs/{id}/stop", null)), StringComparison.Ordinal);
        Assert.Contains("only they can delete it", await ForbiddenAsync(await bob.DeleteAsync($"/api/jobs/{id}")), StringComparison.Ordinal);
        Assert.Contains("you are 'anonymous'", await ForbiddenAsync(await Client().PostAsync($"/api/jobs/{id}/cancel", null)), StringComparison.Ordinal);
        Assert.Equal("queued", (await alice.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}")).GetProperty("job").GetProperty("state").GetString());

        // The owner's own: stop is a 409 (not running, not a refusal), cancel works, then only she may delete.
        Assert.Equal(HttpStatusCode.Conflict, (await alice.PostAsync($"/api/jobs/{id}/stop", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.PostAsync($"/api/jobs/{id}/cancel", null)).StatusCode);
        await ForbiddenAsync(await bob.DeleteAsync($"/api/jobs/{id}"));
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/jobs/{id}")).StatusCode);
    }

    [Fact]
    public async Task TheNameCookie_IdentifiesThePagesUser_UrlEncodedAsTheBrowserWritesIt()
    {
        var id = await SubmitAsync(Client(cookie: "carol"));
        var owner = (await Client().GetFromJsonAsync<JsonElement>($"/api/jobs/{id}")).GetProperty("job").GetProperty("owner").GetString();
        Assert.Equal("carol", owner);

        var named = await SubmitAsync(Client(cookie: "dana%20smith"));
        var detail = await Client().GetFromJsonAsync<JsonElement>($"/api/jobs/{named}");
        Assert.Equal("dana smith", detail.GetProperty("job").GetProperty("owner").GetString());
        await ForbiddenAsync(await Client(cookie: "dana").PostAsync($"/api/jobs/{named}/cancel", null));
        Assert.Equal(HttpStatusCode.OK, (await Client(cookie: "dana%20smith").PostAsync($"/api/jobs/{named}/cancel", null)).StatusCode);
        // The header wins over the cookie (scripts name themselves explicitly).
        await ForbiddenAsync(await Client("erin", cookie: "carol").DeleteAsync($"/api/jobs/{id}"));
    }

    [Fact]
    public async Task UnknownJobs_Are404_NotForbidden()
    {
        var response = await Client("bob").PostAsync("/api/jobs/job_0000000000000000x/cancel", null);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
