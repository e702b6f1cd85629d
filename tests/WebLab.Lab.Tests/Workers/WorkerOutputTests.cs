using System.Text.Json;
using WebLab.Lab.Workers;

namespace WebLab.Lab.Tests.Workers;

public sealed class WorkerOutputTests
{
    private static List<WorkerMessage> Lines(StringWriter text) =>
        text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<WorkerMessage>(l, WebLabJson.Compact)!).ToList();

    [Fact]
    public async Task KeepAlives_CarryTheWorksProgress_WhichOnlyTheWorkAdvances()
    {
        var text = new StringWriter();
        using (var output = new WorkerOutput(text, TimeSpan.FromMilliseconds(10)))
        {
            await Task.Delay(100); // stuck work: the timer ticks on
            output.Log("one");
            output.Log("two");
            await Task.Delay(100);
        }

        var lines = Lines(text);
        var beforeWork = lines.TakeWhile(l => l is WorkerAlive).Cast<WorkerAlive>().ToList();
        // A keep-alive may fall between the two log lines (the timer runs on its own); after the last one, all say 2.
        var lastWork = lines.FindLastIndex(l => l is not WorkerAlive);
        var afterWork = lines.Skip(lastWork + 1).Cast<WorkerAlive>().ToList();
        Assert.Equal(2, lines.Count(l => l is not WorkerAlive));
        Assert.True(beforeWork.Count >= 2, $"{beforeWork.Count} keep-alives");
        Assert.All(beforeWork, a => Assert.Equal(0, a.Progress));
        Assert.NotEmpty(afterWork);
        Assert.All(afterWork, a => Assert.Equal(2, a.Progress));
    }
}
