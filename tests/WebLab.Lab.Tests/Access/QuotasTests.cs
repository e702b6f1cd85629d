using Microsoft.Extensions.Options;
using WebLab.Lab.Access;
using WebLab.Lab.Catalog;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Tests.Access;

public sealed class QuotasTests
{
    private static Quotas Quotas(TempLab lab) => new(lab.Db, Options.Create(new LabOptions
    {
        Quotas = new QuotaOptions { MemberActiveJobs = 2, MemberComputeMinutesPerDay = 60, MemberStorageBytes = 1000 },
    }));

    [Fact]
    public async Task ActiveJobs_AndComputeMinutes_AreCountedPerPerson_AndAdminsHaveNoLimit()
    {
        await using var lab = await TempLab.CreateAsync();
        var quotas = Quotas(lab);
        var alice = new Caller("alice", Role.Member);
        await lab.RunningAsync(); // alice's, claimed now
        await lab.SubmitAsync("bob");
        await quotas.CheckSubmitAsync(alice, "experiment");
        lab.Time.Advance(TimeSpan.FromMinutes(30));
        var usage = await quotas.UsageAsync(alice);
        Assert.Equal(1, usage.ActiveJobs);
        Assert.Equal(30, usage.ComputeMinutes, precision: 6);

        await lab.SubmitAsync("alice");
        var full = await Assert.ThrowsAsync<QuotaExceededException>(() => quotas.CheckSubmitAsync(alice, "experiment"));
        Assert.Contains("2 jobs queued or running", full.Message, StringComparison.Ordinal);
        await quotas.CheckSubmitAsync(alice, "predict"); // seconds long and waited for: not counted
        await quotas.CheckSubmitAsync(new Caller("root", Role.Admin), "experiment");
        Assert.Null((await quotas.UsageAsync(new Caller("root", Role.Admin))).ActiveJobsLimit);
    }

    [Fact]
    public async Task ADaysComputeMinutes_StopNewJobs()
    {
        await using var lab = await TempLab.CreateAsync();
        var quotas = Quotas(lab);
        await lab.RunningAsync();
        lab.Time.Advance(TimeSpan.FromMinutes(61));
        var spent = await Assert.ThrowsAsync<QuotaExceededException>(() => quotas.CheckSubmitAsync(new Caller("alice", Role.Member), "sweep"));
        Assert.Contains("61 worker minutes in the last 24 hours", spent.Message, StringComparison.Ordinal);
        await quotas.CheckSubmitAsync(new Caller("bob", Role.Member), "sweep");
    }

    [Fact]
    public async Task Storage_CountsThePersonsFiles_AndRefusesWhatWouldPassTheQuota()
    {
        await using var lab = await TempLab.CreateAsync();
        var quotas = Quotas(lab);
        var alice = new Caller("alice", Role.Member);
        await quotas.CheckStorageAsync(alice, 1000);
        var folder = Path.Combine(lab.Folder, "ds");
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(Path.Combine(folder, "data.zip"), new byte[600]);
        await new DatasetStore(lab.Db).AddAsync(new DatasetRecord
        {
            Id = Ids.New("ds", lab.Time), Name = "pets", Owner = "alice", Source = "zip", State = DatasetStore.Ready, Path = folder, CreatedAt = "now",
        });

        Assert.Equal(600, (await quotas.UsageAsync(alice)).StorageBytes);
        await quotas.CheckStorageAsync(alice, 400);
        var over = await Assert.ThrowsAsync<QuotaExceededException>(() => quotas.CheckStorageAsync(alice, 401));
        Assert.Contains("delete some first", over.Message, StringComparison.Ordinal);
        await quotas.CheckStorageAsync(new Caller("bob", Role.Member), 1000);
    }
}
