using WebLab.Lab.Storage;

namespace WebLab.Lab.Tests.Storage;

public sealed class IdsTests
{
    [Fact]
    public void New_MakesValidDistinctIds_WithThePrefix()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => Ids.New("job", TimeProvider.System)).ToList();

        Assert.All(ids, id => Assert.True(Ids.IsValid(id, "job"), id));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.False(Ids.IsValid(ids[0], "host"));
        Assert.True(Ids.IsValid("job_0123456789abcdefg", "job"));
    }

    [Theory]
    [InlineData("job_../../../../etc/p")]
    [InlineData("job_0123456789abcdefi")]
    [InlineData("job_0123456789abcdeFg")]
    [InlineData("job-0123456789abcdefg")]
    [InlineData("job_0123456789abcde")]
    [InlineData("")]
    public void IsValid_RejectsIdsUnsafeInAPath(string id) => Assert.False(Ids.IsValid(id, "job"));

    [Fact]
    public void New_SortsByCreationTime_AcrossMilliseconds()
    {
        var clock = new ManualTime(DateTimeOffset.UtcNow);
        var first = Ids.New("job", clock);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var second = Ids.New("job", clock);

        Assert.True(string.CompareOrdinal(first, second) < 0, $"{first} should sort before {second}");
    }
}
