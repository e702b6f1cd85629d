using System.Text.Json;
using SkiaSharp;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Workers;

namespace WebLab.Lab.Tests.Workers;

/// <summary>The worker side of the protocol on its own: a job file in, JSON lines and an exit code out.</summary>
public sealed class WorkerRuntimeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("weblab-worker-test-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private (int Exit, List<WorkerMessage> Lines) Run(WorkerJob job, string commands = "", CancellationToken interrupt = default)
    {
        var file = Path.Combine(_folder, "job.json");
        File.WriteAllText(file, JsonSerializer.Serialize(job, WebLabJson.Options));
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new StringReader(commands);
        // Without commands, stdin must stay open (closing it means "the lab is gone"): a reader that blocks forever.
        var exit = WorkerRuntime.Run(file, new Data.DatasetFileOptions(), commands.Length > 0 ? input : new BlockingReader(), output, error, interrupt);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonSerializer.Deserialize<WorkerMessage>(l, WebLabJson.Compact)!).ToList();
        return (exit, lines);
    }

    private string ClassFolders()
    {
        var root = Path.Combine(_folder, "shapes");
        foreach (var (name, colour) in new[] { ("red", SKColors.Red), ("blue", SKColors.Blue) })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            for (int i = 0; i < 3; i++)
            {
                using var bitmap = new SKBitmap(12, 12);
                bitmap.Erase(colour);
                bitmap.SetPixel(i, i, SKColors.White); // no two files alike
                using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(root, name, $"{i}.png"), png.ToArray());
            }
        }
        return root;
    }

    [Fact]
    public void Ingest_WritesLogEventsThenTheManifest_AndExitsZero()
    {
        var input = JsonSerializer.SerializeToElement(new IngestInput(ClassFolders(), Path.Combine(_folder, "thumbs")), WebLabJson.Compact);

        var (exit, lines) = Run(new WorkerJob("job_test", IngestKind.Id, "cpu", _folder, input));

        Assert.Equal(WorkerExit.Succeeded, exit);
        Assert.Contains(lines, l => l is WorkerEvent { Event: "log" });
        var result = Assert.IsType<WorkerResult>(lines.Last(l => l is not WorkerAlive));
        var manifest = result.Result.Deserialize<Data.DatasetManifest>(WebLabJson.Compact)!;
        Assert.Equal(6, manifest.Classes.Sum(c => c.Train + c.Val + c.Test));
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_folder, "thumbs"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void BadInput_IsReportedAsNotRetryable_WithExitTwo()
    {
        var input = JsonSerializer.SerializeToElement(new IngestInput(Path.Combine(_folder, "nothing-here"), Path.Combine(_folder, "thumbs")), WebLabJson.Compact);

        var (exit, lines) = Run(new WorkerJob("job_test", IngestKind.Id, "cpu", _folder, input));

        Assert.Equal(WorkerExit.BadInput, exit);
        var failure = Assert.IsType<WorkerFailure>(lines.Last(l => l is not WorkerAlive));
        Assert.False(failure.Retryable);
    }

    [Fact]
    public void UnknownKind_IsBadInput()
    {
        var (exit, lines) = Run(new WorkerJob("job_test", "mine-bitcoin", "cpu", _folder, JsonSerializer.SerializeToElement(new { })));

        Assert.Equal(WorkerExit.BadInput, exit);
        Assert.Contains("Unknown job kind 'mine-bitcoin'", Assert.IsType<WorkerFailure>(lines.Last()).Message);
    }

    [Fact]
    public void AnInterruptBeforeTheJobRuns_EndsWithExit75_AndWritesNoResult()
    {
        var input = JsonSerializer.SerializeToElement(new IngestInput(ClassFolders(), Path.Combine(_folder, "thumbs")), WebLabJson.Compact);
        using var interrupted = new CancellationTokenSource();
        interrupted.Cancel();

        var (exit, lines) = Run(new WorkerJob("job_test", IngestKind.Id, "cpu", _folder, input), interrupt: interrupted.Token);

        Assert.Equal(WorkerExit.Interrupted, exit);
        Assert.DoesNotContain(lines, l => l is WorkerResult);
    }

    private sealed class BlockingReader : TextReader
    {
        public override string? ReadLine()
        {
            Thread.Sleep(Timeout.Infinite);
            return null;
        }
    }
}
