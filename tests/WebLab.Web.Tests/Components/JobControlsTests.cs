using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using WebLab.Lab.Access;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Web.Components;
using WebLab.Web.Components.Shared;

namespace WebLab.Web.Tests.Components;

public sealed class JobControlsTests : BunitContext
{
    public JobControlsTests()
    {
        Services.AddMudServices();
        Services.AddScoped<CurrentUser>();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    private static JobRecord Job(string owner, JobState state = JobState.Running, string kind = ExperimentKind.Id) => new()
    {
        Id = "job_1", Kind = kind, Owner = owner, Name = "demo", SpecJson = "{}", State = state, Lane = Lanes.Train, CreatedAt = "2026-01-01T00:00:00Z",
    };

    private CurrentUser As(string? name, Role role = Role.Member)
    {
        var user = Services.GetRequiredService<CurrentUser>();
        user.Restore(name, role, darkMode: false);
        return user;
    }

    [Fact]
    public void YourOwnRunningExperiment_HasCancelAndStop_AndCancelCallsBack()
    {
        As("alice");
        var cancelled = 0;
        var controls = Render<JobControls>(p => p.Add(c => c.Job, Job("alice")).Add(c => c.OnCancel, () => cancelled++));
        Assert.NotNull(controls.Find("#stop"));
        controls.Find("#cancel").Click();
        Assert.Equal(1, cancelled);
    }

    [Fact]
    public void SomeoneElsesJob_ShowsWhoseItIs_AndNoButtons()
    {
        As("bob");
        var controls = Render<JobControls>(p => p.Add(c => c.Job, Job("alice")));
        Assert.Empty(controls.FindAll("button"));
        Assert.Equal("Only alice can cancel or stop this job.", controls.Find("#not-yours").TextContent);
    }

    [Fact]
    public void AnAdmin_GetsTheButtonsOnAnyonesJob_NobodySignedInGetsNone()
    {
        As("carol", Role.Admin);
        Assert.Single(Render<JobControls>(p => p.Add(c => c.Job, Job("alice", JobState.Queued)).Add(c => c.Compact, true)).FindAll("button.cancel"));
        As(null);
        Assert.Empty(Render<JobControls>(p => p.Add(c => c.Job, Job("alice", JobState.Queued)).Add(c => c.Compact, true)).FindAll("button"));
    }

    [Fact]
    public void FinishedJobs_HaveNoControls_AndTheLabsOwnJobsNoOwnerButTheLab()
    {
        As("alice");
        Assert.Empty(Render<JobControls>(p => p.Add(c => c.Job, Job("alice", JobState.Succeeded))).Markup.Trim());
        As("bob");
        Assert.Empty(Render<JobControls>(p => p.Add(c => c.Job, Job(WebLab.Lab.Access.AccessPolicy.LabOwner))).FindAll("button"));
    }
}
