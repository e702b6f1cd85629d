using System.Diagnostics;
using TorchSharp;
using WebLab.Data;

namespace WebLab.Cli.Bench;

/// <summary>
/// Data pipeline throughput: decode (once, into the uint8 cache) and augment + collate (every batch), per core and
/// with all cores, against the rate the trainer consumes images, and the trainer's measured loader wait.
/// </summary>
internal static class PipelineBench
{
    public const double HeadroomGoal = 3;
    public const double WaitGoal = 0.05;

    private sealed record Case(string Name, string Zip, int CacheSize, Workload Consumer, int TrainImages, int Steps);

    public static int Run(BenchOptions options, string work, int pngCount, int jpegCount, bool noInstall)
    {
        Directory.CreateDirectory(work);
        Console.Error.WriteLine($"  sample datasets in {work}");
        Case[] cases =
        [
            // The demo's shape: resnet8 on 28 px greyscale, batch 32, 100 training images (3 batches an epoch), 30 epochs.
            new("28 px PNG (Fashion-MNIST)", SampleImages.FashionMnistPngs(work, pngCount, noInstall), 28, new Workload("resnet8", 28, 32, 1), 100, 200),
            new("500x375 JPEG -> 224 px", SampleImages.PhotoJpegs(work, jpegCount), ImageTransform.CacheSizeFor(224), new Workload("resnet18", 224, 32), 32 * 8, 4),
        ];
        var file = new ResultsFile("Data pipeline: decode, augment + collate vs the trainer", options.Command)
            .Columns("dataset", "decode 1 core", "decode all cores", "augment+collate 1 core", "augment+collate all cores",
                "trainer consumes", "headroom (cached)", "headroom (decode every epoch)", "loader wait", "goals");
        bool met = true;
        foreach (var c in cases)
        {
            var files = SampleImages.ReadAll(c.Zip);
            var decodeOne = Repeat(options.Repeats, () => DecodeRate(files, c.CacheSize));
            var (decodeAll, images) = DecodeAll(c.Zip, c.CacheSize, options.Repeats);
            using (images)
            {
                var transform = new ImageTransform(c.Consumer.Size, c.Consumer.Channels, [.. Enumerable.Repeat(0.5f, c.Consumer.Channels)],
                    [.. Enumerable.Repeat(0.25f, c.Consumer.Channels)], Augmentation.For(c.Consumer.Size, flip: true));
                var augmentOne = AugmentRate(images, transform, c.Consumer.Batch, 1, options.Repeats);
                var augmentAll = AugmentRate(images, transform, c.Consumer.Batch, options.Threads, options.Repeats);
                torch.set_num_threads(options.Threads);
                var (consumes, wait) = Consumption(c.Consumer, c.TrainImages, c.Steps, options.Repeats);
                double cached = augmentAll / consumes;
                double streaming = 1 / (1 / decodeAll + 1 / augmentAll) / consumes;
                bool ok = cached >= HeadroomGoal && wait <= WaitGoal;
                met &= ok;
                file.Row(c.Name, Rate(decodeOne), Rate(decodeAll), Rate(augmentOne), Rate(augmentAll), $"{Rate(consumes)} ({c.Consumer})",
                    $"**{cached:F0}x**", $"{streaming:F1}x", $"**{wait:P1}**",
                    $"headroom >= {HeadroomGoal}x, wait <= {WaitGoal:P0}: {(ok ? "met" : "MISSED")}");
            }
        }
        file.Note("Rates are images/s, medians of the repeats. Decode: SkiaSharp 2.88.9 through ImageDecoder.DecodeTile into the cache " +
            "resolution (28 px; 256 px for 224 px training, JPEG DCT-scaled while decoding); 'all cores' is ImageFolder.Load from the zip, " +
            "what ingest and every experiment's dataset load run.");
        file.Note("Augment + collate: BatchLoader.Make on the uint8 cache (pad-crop + flip at 28 px; random-resized crop + flip at 224 px), " +
            "with 1 and all torch threads. WebLab decodes once per dataset, so 'cached' is the steady-state headroom; 'decode every epoch' " +
            "is what it would be if images were decoded per batch like a plain PyTorch DataLoader over files.");
        file.Note("Trainer consumes: Trainer.Run steps/s x batch on this CPU; loader wait: TrainingResult.LoaderWaitFraction " +
            "(time the trainer waited for a batch / (that + step time)), median over the repeats.");
        file.Save(options.Results, "pipeline.md");
        return met ? 0 : 3;
    }

    private static string Rate(double imagesPerSecond) => imagesPerSecond >= 100 ? $"{imagesPerSecond:F0}" : $"{imagesPerSecond:F1}";

    private static double Repeat(int repeats, Func<double> measure) => Stats.Median(Enumerable.Range(0, repeats).Select(_ => measure()).ToArray());

    private static double DecodeRate(List<(string Name, byte[] Bytes)> files, int size)
    {
        var tile = new byte[3 * size * size];
        var clock = Stopwatch.StartNew();
        foreach (var (name, bytes) in files)
            ImageDecoder.DecodeTile(bytes, name, size, tile);
        return files.Count / clock.Elapsed.TotalSeconds;
    }

    private static (double Rate, LabeledImages Images) DecodeAll(string zip, int size, int repeats)
    {
        var rates = new List<double>();
        LabeledImages? kept = null;
        for (int r = 0; r < repeats; r++)
        {
            using var archive = ImageArchive.Open(zip);
            var clock = Stopwatch.StartNew();
            var loaded = ImageFolder.Load(archive, size, strict: true);
            rates.Add(loaded.Splits.Values.Sum(s => s.Count) / clock.Elapsed.TotalSeconds);
            kept?.Dispose();
            var largest = loaded.Splits.Values.MaxBy(s => s.Count)!;
            foreach (var split in loaded.Splits.Values.Where(s => s != largest))
                split.Dispose();
            kept = largest;
        }
        return (Stats.Median(rates), kept!);
    }

    private static double AugmentRate(LabeledImages images, ImageTransform transform, int batch, int threads, int repeats)
    {
        torch.set_num_threads(threads);
        var loader = new BatchLoader(images, transform, batch, torch.CPU, train: true, seed: 0);
        var rng = new Random(1);
        var order = loader.Order(1);
        int batches = Math.Max(4, Math.Min(64, images.Count / batch));
        return Repeat(repeats, () =>
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < batches; i++)
            {
                var indices = Enumerable.Range(i * batch, batch).Select(k => order[k % order.Length]).ToArray();
                loader.Make(indices, rng).Dispose();
            }
            return batches * batch / clock.Elapsed.TotalSeconds;
        });
    }

    private static (double ImagesPerSecond, double Wait) Consumption(Workload consumer, int trainImages, int steps, int repeats)
    {
        using var weblab = new WebLabWorkload(consumer, trainImages);
        weblab.Train(1, 2, timed: false);
        var rates = new List<double>();
        var waits = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            var (rate, wait) = weblab.Train(1, steps);
            rates.Add(rate * consumer.Batch);
            waits.Add(wait);
            Console.Error.WriteLine($"  {consumer}: {rate * consumer.Batch:F1} images/s, loader wait {wait:P1}");
        }
        return (Stats.Median(rates), Stats.Median(waits));
    }
}
