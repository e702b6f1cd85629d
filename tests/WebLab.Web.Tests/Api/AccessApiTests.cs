using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using WebLab.Lab.Access;

namespace WebLab.Web.Tests.Api;

/// <summary>Who may do what, through the real host: each rule checked both ways, with the status code and what was (not) stored.</summary>
public sealed class AccessApiTests(LabApiFactory factory) : IClassFixture<LabApiFactory>
{
    private static readonly object s_pretrain = new
    {
        kind = "pretrain",
        spec = new { dataset = "fashion-mnist", classes = new[] { "0", "1" }, architecture = "resnet8", epochs = 1, perClass = 10 },
    };

    private HttpClient Client(string name, Role role = Role.Member) => factory.ClientFor(name, role);

    private static async Task<string> SubmitAsync(HttpClient client, object? body = null)
    {
        var response = await client.PostAsJsonAsync("/api/jobs", body ?? s_pretrain);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<string> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString() ?? "";
    }

    private async Task<int> JobCountAsync() => (await Client("admin-counter", Role.Admin).GetFromJsonAsync<JsonElement>("/api/jobs?limit=1000")).GetArrayLength();

    [Theory]
    [InlineData("GET", "/api/jobs")]
    [InlineData("POST", "/api/jobs")]
    [InlineData("GET", "/api/checkpoints")]
    [InlineData("POST", "/api/datasets")]
    [InlineData("POST", "/hubs/jobs/negotiate?negotiateVersion=1")]
    public async Task NobodySignedIn_Gets401(string method, string path)
    {
        var response = await factory.CreateClient().SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task AnUnknownToken_Is401_AndPagesSendTheBrowserToSignIn()
    {
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wl_not-a-real-token");
        Assert.Contains("not valid", await ProblemAsync(await client.GetAsync("/api/jobs"), HttpStatusCode.Unauthorized), StringComparison.Ordinal);
        var page = await factory.CreateClient(new() { AllowAutoRedirect = false }).GetAsync("/queue");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.StartsWith("/account/login", page.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await factory.CreateClient().GetAsync("/account/login")).StatusCode);
    }

    [Fact]
    public async Task OnlyTheOwnerOrAnAdmin_CancelsStopsOrDeletes()
    {
        var alice = Client("alice");
        var bob = Client("bob");
        var id = await SubmitAsync(alice);

        var refused = await ProblemAsync(await bob.PostAsync($"/api/jobs/{id}/cancel", null), HttpStatusCode.Forbidden);
        Assert.Equal($"Job '{id}' belongs to 'alice'; only they can cancel it (you are 'bob').", refused);
        Assert.Contains("only they can stop it", await ProblemAsync(await bob.PostAsync($"/api/jobs/{id}/stop", null), HttpStatusCode.Forbidden), StringComparison.Ordinal);
        Assert.Contains("only they can delete it", await ProblemAsync(await bob.DeleteAsync($"/api/jobs/{id}"), HttpStatusCode.Forbidden), StringComparison.Ordinal);
        Assert.Equal("queued", (await alice.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}")).GetProperty("job").GetProperty("state").GetString());

        // An admin may: the group's jobs are theirs to manage.
        Assert.Equal(HttpStatusCode.OK, (await Client("root-admin", Role.Admin).PostAsync($"/api/jobs/{id}/cancel", null)).StatusCode);
        await ProblemAsync(await bob.DeleteAsync($"/api/jobs/{id}"), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.NoContent, (await alice.DeleteAsync($"/api/jobs/{id}")).StatusCode);
        await ProblemAsync(await bob.PostAsync("/api/jobs/job_0000000000000000x/cancel", null), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task APrivateJob_DoesNotExist_ForOthers_ButDoesForItsOwnerAndAdmins()
    {
        var carol = Client("carol");
        var id = await SubmitAsync(carol, new { kind = "pretrain", visibility = "private", spec = ((dynamic)s_pretrain).spec });
        var shared = await SubmitAsync(carol);

        var dave = Client("dave");
        await ProblemAsync(await dave.GetAsync($"/api/jobs/{id}"), HttpStatusCode.NotFound);
        await ProblemAsync(await dave.GetAsync($"/api/jobs/{id}/events"), HttpStatusCode.NotFound);
        await ProblemAsync(await dave.PostAsync($"/api/jobs/{id}/cancel", null), HttpStatusCode.NotFound); // not 403: it is not there for dave
        var davesList = await dave.GetFromJsonAsync<JsonElement>("/api/jobs?owner=carol");
        Assert.DoesNotContain(davesList.EnumerateArray(), j => j.GetProperty("id").GetString() == id);
        Assert.Contains(davesList.EnumerateArray(), j => j.GetProperty("id").GetString() == shared);

        Assert.Equal("private", (await carol.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}")).GetProperty("job").GetProperty("visibility").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Client("auditor", Role.Admin).GetAsync($"/api/jobs/{id}")).StatusCode);
        Assert.Contains((await carol.GetFromJsonAsync<JsonElement>("/api/queue")).GetProperty("queued").EnumerateArray(), j => j.GetProperty("id").GetString() == id);
        Assert.DoesNotContain((await dave.GetFromJsonAsync<JsonElement>("/api/queue")).GetProperty("queued").EnumerateArray(), j => j.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task APrivateDataset_IsInvisibleToOthers_AndWhatIsMadeFromItIsPrivateToo()
    {
        var quinn = Client("quinn");
        using var dir = new WebLab.Tests.TempDir();
        var png = WebLab.Tests.TestFiles.Image(8, 8, 1);
        var zip = WebLab.Tests.TestFiles.Zip(dir.File("mine.zip"), [("cat/1.png", png), ("cat/2.png", png), ("dog/1.png", png), ("dog/2.png", png)]);
        using var form = new MultipartFormDataContent { { new ByteArrayContent(await File.ReadAllBytesAsync(zip)), "file", "mine.zip" } };
        var response = await quinn.PostAsync("/api/datasets?name=mine&visibility=private", form);
        var uploaded = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, uploaded.ToString());
        var dataset = uploaded.GetProperty("dataset").GetProperty("id").GetString()!;
        Assert.Equal("private", uploaded.GetProperty("dataset").GetProperty("visibility").GetString());
        Assert.Equal("private", uploaded.GetProperty("job").GetProperty("visibility").GetString()); // its ingest job too

        var rex = Client("rex");
        await ProblemAsync(await rex.GetAsync($"/api/datasets/{dataset}"), HttpStatusCode.NotFound);
        await ProblemAsync(await rex.GetAsync($"/api/datasets/{dataset}/thumbnails/0-0.png"), HttpStatusCode.NotFound);
        await ProblemAsync(await rex.DeleteAsync($"/api/datasets/{dataset}"), HttpStatusCode.NotFound);
        Assert.DoesNotContain(dataset, await rex.GetStringAsync("/api/datasets"), StringComparison.Ordinal);
        Assert.Contains(dataset, await quinn.GetStringAsync("/api/datasets"), StringComparison.Ordinal);

        // Ready (as its ingest job would leave it) and trained on by its owner with the default visibility: the experiment
        // would show the private images and results to the group, so it is private.
        var db = factory.Services.GetRequiredService<WebLab.Lab.Storage.Database>();
        await using (var connection = await db.OpenAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE datasets SET state = 'ready' WHERE id = @dataset", new { dataset });
            await Dapper.SqlMapper.ExecuteAsync(connection, """
                INSERT INTO checkpoints (id, name, owner, path, info_json, builtin, created_at, visibility)
                VALUES ('ckpt_00000000000000src', 'shared source', 'someone', 'none.weblab', '{}', 0, '2026-01-01', 'group')
                """);
        }
        var experiment = await quinn.PostAsJsonAsync("/api/jobs", new { kind = "experiment", spec = new { target = dataset, source = "ckpt_00000000000000src", seeds = 1 } });
        Assert.Equal(HttpStatusCode.Created, experiment.StatusCode);
        var job = await experiment.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("private", job.GetProperty("visibility").GetString());
        await ProblemAsync(await rex.GetAsync($"/api/jobs/{job.GetProperty("id").GetString()}"), HttpStatusCode.NotFound);
        // Someone else cannot even name it in a spec.
        var theirs = await rex.PostAsJsonAsync("/api/jobs", new { kind = "experiment", spec = new { target = dataset, source = "ckpt_00000000000000src", seeds = 1 } });
        Assert.Equal(HttpStatusCode.BadRequest, theirs.StatusCode);
        Assert.Contains("no dataset", (await theirs.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("spec.target")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Guests_RunNoTrainingOrUploads_AndOnlyAdminsJumpTheQueue()
    {
        var before = await JobCountAsync();
        var guest = Client("visitor-1", Role.Guest);
        Assert.Contains("Guests may run experiments", await ProblemAsync(await guest.PostAsJsonAsync("/api/jobs", s_pretrain), HttpStatusCode.Forbidden), StringComparison.Ordinal);
        using var zip = new ByteArrayContent([0x50, 0x4b, 3, 4]);
        Assert.Contains("cannot upload", await ProblemAsync(await guest.PostAsync("/api/datasets", zip), HttpStatusCode.Forbidden), StringComparison.Ordinal);

        var urgent = new { kind = "pretrain", priority = 5, spec = ((dynamic)s_pretrain).spec };
        var member = await Client("erin").PostAsJsonAsync("/api/jobs", urgent);
        Assert.Equal(HttpStatusCode.BadRequest, member.StatusCode);
        Assert.Contains("admins", (await member.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("priority")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await JobCountAsync());
        await SubmitAsync(Client("boss", Role.Admin), urgent);
        Assert.Equal(before + 1, await JobCountAsync());
    }

    [Fact]
    public async Task ARevokedToken_IsRefused_FromItsNextRequest()
    {
        var users = factory.Services.GetRequiredService<UserStore>();
        var frank = await users.AddAsync("frank", Role.Member);
        var (token, secret) = await users.CreateTokenAsync(frank, TokenPurpose.Api, "laptop");
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me")).StatusCode);
        Assert.NotNull((await users.TokensAsync(frank.Id)).Single().LastUsedAt);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/tokens/{token.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/me")).StatusCode);

        // A disabled user's other tokens stop too.
        var (_, second) = await users.CreateTokenAsync(frank, TokenPurpose.Api, "desktop");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", second);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/me")).StatusCode);
        await users.SetDisabledAsync("frank", disabled: true);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task MadeTokens_AreShownOnce_ListedWithoutSecrets_AndWork_ButATokenCannotMakeTokens()
    {
        await factory.Services.GetRequiredService<UserStore>().AddAsync("gina", Role.Member, "gina's long password");
        var (browser, antiforgery) = await SignInAsync("gina", "gina's long password");
        using var make = new HttpRequestMessage(HttpMethod.Post, "/api/tokens") { Content = JsonContent.Create(new { name = "notebook" }) };
        make.Headers.Add("RequestVerificationToken", antiforgery);
        var made = await (await browser.SendAsync(make)).Content.ReadFromJsonAsync<JsonElement>();
        var secret = made.GetProperty("secret").GetString()!;
        Assert.StartsWith(UserStore.TokenPrefix, secret, StringComparison.Ordinal);
        var listed = await browser.GetStringAsync("/api/tokens");
        Assert.Contains("notebook", listed, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);

        var script = factory.CreateClient();
        script.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        var me = await script.GetFromJsonAsync<JsonElement>("/api/me");
        Assert.Equal("gina", me.GetProperty("name").GetString());
        Assert.Equal(10, me.GetProperty("usage").GetProperty("activeJobsLimit").GetInt32());
        // A stolen token cannot mint its successor.
        Assert.Contains("not with a token", await ProblemAsync(await script.PostAsJsonAsync("/api/tokens", new { name = "spare" }), HttpStatusCode.Forbidden),
            StringComparison.Ordinal);
    }

    /// <summary>Signs in through the page's form (antiforgery and all); returns the cookie-holding client and its antiforgery token.</summary>
    private async Task<(HttpClient Browser, string Antiforgery)> SignInAsync(string name, string password)
    {
        var browser = factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });
        var form = await browser.GetStringAsync("/account/login");
        var antiforgery = Antiforgery.From(form);
        var signIn = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = name, ["password"] = password, ["__RequestVerificationToken"] = antiforgery,
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        // The token is bound to who asked for it: the signed-in person's comes from a page they see (the account page).
        var account = await browser.GetStringAsync("/account");
        return (browser, Antiforgery.From(account));
    }

    [Fact]
    public async Task CrossOriginWrites_AreRefused_EvenWithAToken()
    {
        var before = await JobCountAsync();
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = JsonContent.Create(s_pretrain) };
        request.Headers.Add("Origin", "https://evil.example");
        Assert.Contains("cross-origin", await ProblemAsync(await Client("hank").SendAsync(request), HttpStatusCode.Forbidden), StringComparison.Ordinal);
        Assert.Equal(before, await JobCountAsync());

        // A form another site makes a member's browser post, and a page of another site opening the hub: both refused.
        var form = new HttpRequestMessage(HttpMethod.Post, "/account/logout") { Content = new FormUrlEncodedContent([]) };
        form.Headers.Add("Origin", "https://evil.example");
        await ProblemAsync(await Client("hank").SendAsync(form), HttpStatusCode.Forbidden);
        var hub = new HttpRequestMessage(HttpMethod.Post, "/hubs/jobs/negotiate?negotiateVersion=1");
        hub.Headers.Add("Origin", "https://evil.example");
        await ProblemAsync(await Client("hank").SendAsync(hub), HttpStatusCode.Forbidden);

        var sameSite = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = JsonContent.Create(s_pretrain) };
        sameSite.Headers.Add("Origin", "http://localhost");
        Assert.Equal(HttpStatusCode.Created, (await Client("hank").SendAsync(sameSite)).StatusCode);
    }

    [Fact]
    public async Task ASessionCookie_AloneCannotWriteToTheApi_ItNeedsTheAntiforgeryToken()
    {
        var users = factory.Services.GetRequiredService<UserStore>();
        await users.AddAsync("ivy", Role.Member, "correct horse battery");
        var browser = factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });
        var form = await browser.GetStringAsync("/account/login");
        var antiforgery = Antiforgery.From(form);
        var signIn = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = "ivy", ["password"] = "correct horse battery", ["returnUrl"] = "/queue", ["__RequestVerificationToken"] = antiforgery,
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal("/queue", signIn.Headers.Location!.OriginalString);

        Assert.Equal("ivy", (await browser.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("name").GetString()); // reads: fine
        var before = await JobCountAsync();
        Assert.Contains("antiforgery", await ProblemAsync(await browser.PostAsJsonAsync("/api/jobs", s_pretrain), HttpStatusCode.Forbidden), StringComparison.Ordinal);
        Assert.Equal(before, await JobCountAsync());
    }

    [Fact]
    public async Task AWrongPassword_DoesNotSignIn()
    {
        await factory.Services.GetRequiredService<UserStore>().AddAsync("jack", Role.Member, "the right password");
        var browser = factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });
        var form = await browser.GetStringAsync("/account/login");
        var antiforgery = Antiforgery.From(form);
        var signIn = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["name"] = "jack", ["password"] = "the wrong password", ["__RequestVerificationToken"] = antiforgery,
        }));
        Assert.Contains("error=password", signIn.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task JsonBodies_OverAMebibyte_Are413_NothingStored()
    {
        var before = await JobCountAsync();
        var huge = new StringContent("{\"kind\":\"pretrain\",\"name\":\"" + new string('x', 2 << 20) + "\",\"spec\":{}}", Encoding.UTF8, "application/json");
        var response = await Client("kim").PostAsync("/api/jobs", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, await JobCountAsync());
    }
}

/// <summary>A lab with small quotas and rate limits, and a fixed host name.</summary>
public sealed class StrictLabFactory : LabApiFactory
{
    protected override IEnumerable<(string Key, string Value)> Settings =>
    [
        ("WebLab:Quotas:MemberActiveJobs", "2"),
        ("WebLab:RateLimits:SignInsPerAddress", "3"),
        ("WebLab:RateLimits:SubmissionsPerPerson", "3"),
        ("AllowedHosts", "lab.example;localhost"),
    ];
}

public sealed class QuotaAndRateLimitTests(StrictLabFactory factory) : IClassFixture<StrictLabFactory>
{
    private static readonly object s_pretrain = new
    {
        kind = "pretrain",
        spec = new { dataset = "fashion-mnist", classes = new[] { "0", "1" }, architecture = "resnet8", epochs = 1, perClass = 10 },
    };

    [Fact]
    public async Task TheJobAfterTheQuota_IsRefusedWithAClearMessage_AndNotStored()
    {
        var lena = factory.ClientFor("lena");
        Assert.Equal(HttpStatusCode.Created, (await lena.PostAsJsonAsync("/api/jobs", s_pretrain)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await lena.PostAsJsonAsync("/api/jobs", s_pretrain)).StatusCode);
        var third = await lena.PostAsJsonAsync("/api/jobs", s_pretrain);
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Contains("2 jobs queued or running, your limit", (await third.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, (await lena.GetFromJsonAsync<JsonElement>("/api/jobs?owner=lena")).GetArrayLength());
        // Admins have no quota.
        var admin = factory.ClientFor("overseer", Role.Admin);
        for (int i = 0; i < 3; i++)
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/jobs", s_pretrain)).StatusCode);
    }

    [Fact]
    public async Task SignInAttempts_AreRateLimitedPerAddress()
    {
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 5; i++)
        {
            var response = await factory.CreateClient(new() { AllowAutoRedirect = false }).PostAsync("/account/login",
                new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = "x", ["password"] = "y" }));
            statuses.Add(response.StatusCode);
        }
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
        Assert.Equal(3, statuses.Count(s => s != HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task Submissions_AreRateLimitedPerPerson()
    {
        var nina = factory.ClientFor("nina");
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 5; i++)
            statuses.Add((await nina.PostAsJsonAsync("/api/jobs", new { kind = "pretrain", spec = new { } })).StatusCode);
        Assert.Equal([HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.BadRequest, (await factory.ClientFor("olga").PostAsJsonAsync("/api/jobs", new { kind = "pretrain", spec = new { } })).StatusCode);
    }

    [Fact]
    public async Task AForeignHost_IsRefused_WhenAllowedHostsIsSet()
    {
        var client = factory.ClientFor("mona");
        var foreign = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        foreign.Headers.Host = "attacker.example";
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(foreign)).StatusCode);
        var named = new HttpRequestMessage(HttpMethod.Get, "/api/me");
        named.Headers.Host = "lab.example";
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(named)).StatusCode);
    }
}

/// <summary>A public demo: no accounts for visitors.</summary>
public sealed class OpenDemoFactory : LabApiFactory
{
    protected override IEnumerable<(string Key, string Value)> Settings => [("WebLab:Access", "OpenDemo")];
}

public sealed class OpenDemoApiTests(OpenDemoFactory factory) : IClassFixture<OpenDemoFactory>
{
    [Fact]
    public async Task EveryNewBrowser_IsAGuestWithItsOwnRandomName_WhoCanLookButNotTrain()
    {
        var first = factory.CreateClient(new() { HandleCookies = true });
        var me = await first.GetFromJsonAsync<JsonElement>("/api/me");
        var name = me.GetProperty("name").GetString()!;
        Assert.StartsWith("guest-", name, StringComparison.Ordinal);
        Assert.Equal("guest", me.GetProperty("role").GetString());
        Assert.Equal(name, (await first.GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("name").GetString()); // the cookie keeps it
        Assert.NotEqual(name, (await factory.CreateClient().GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/api/jobs")).StatusCode);

        // A guest's browser writes with its session cookie, so with the antiforgery token (here: from the sign-in form).
        var page = await first.GetStringAsync("/account/login");
        var antiforgery = Antiforgery.From(page);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs")
        {
            Content = JsonContent.Create(new
            {
                kind = "pretrain", spec = new { dataset = "fashion-mnist", classes = new[] { "0", "1" }, architecture = "resnet8", epochs = 1 },
            }),
        };
        request.Headers.Add("RequestVerificationToken", antiforgery);
        var pretrain = await first.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, pretrain.StatusCode);
        Assert.Contains("Guests may run experiments", (await pretrain.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Members with accounts still sign in with their tokens.
        Assert.Equal("pia", (await factory.ClientFor("pia").GetFromJsonAsync<JsonElement>("/api/me")).GetProperty("name").GetString());
    }
}

/// <summary>The antiforgery token a server-rendered form carries (what a browser posts back).</summary>
internal static partial class Antiforgery
{
    public static string From(string html) => Token().Match(html).Groups[1].Value;

    [System.Text.RegularExpressions.GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial System.Text.RegularExpressions.Regex Token();
}
