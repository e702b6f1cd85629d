using Microsoft.Extensions.Options;
using WebLab.Lab.Access;
using WebLab.Lab.Jobs;

namespace WebLab.Lab.Tests.Access;

public sealed class PersonLimitsTests
{
    [Fact]
    public void EachPerson_HasTheirOwnBudget_AndTheLabItselfIsNotCounted()
    {
        using var limits = new PersonLimits(Options.Create(new LabOptions { RateLimits = new RateLimitOptions { SubmissionsPerPerson = 2, UploadsPerPerson = 1 } }));
        var ada = new Caller("ada", Role.Member);
        limits.Submission(ada);
        limits.Submission(ada);
        var refused = Assert.Throws<RateLimitedException>(() => limits.Submission(ada));
        Assert.Contains("Too many submissions from ada", refused.Message, StringComparison.Ordinal);
        limits.Submission(new Caller("bob", Role.Member)); // bob's budget is his own
        limits.Upload(ada); // and uploads are counted apart
        Assert.Throws<RateLimitedException>(() => limits.Upload(ada));
        for (int i = 0; i < 10; i++)
            limits.Submission(Caller.Lab);
    }
}
