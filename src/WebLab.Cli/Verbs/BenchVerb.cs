using System.CommandLine;
using WebLab.Cli.Bench;
using WebLab.Runtime;
using WebLab.Training;

namespace WebLab.Cli.Verbs;

/// <summary>
/// weblab bench NAME: issue 7's benchmarks. Each prints its table with ratios against its goal, writes it to
/// --results (bench/results by default) and exits 3 when a goal is missed (never asserted in unit tests).
/// </summary>
internal static class BenchVerb
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks: WebLab vs PyTorch, the data pipeline, end to end, memory (bench/README.md).");
        command.Subcommands.Add(TrainStep());
        command.Subcommands.Add(WarmUp());
        command.Subcommands.Add(ArithmeticModes());
        command.Subcommands.Add(WarmUpRun());
        command.Subcommands.Add(Inference());
        command.Subcommands.Add(Pipeline());
        command.Subcommands.Add(EndToEnd());
        command.Subcommands.Add(Memory());
        command.Subcommands.Add(Tiles());
        command.Subcommands.Add(TilesRun());
        command.Subcommands.Add(InputSize());
        return command;
    }

    private static Command Tiles()
    {
        var work = new Option<string>("--work")
        {
            Description = "folder for the generated target and the ImageNet source (kept between runs) and the tile cache (emptied each run)",
            DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "weblab-bench"),
        };
        var images = new Option<int>("--images") { Description = "images in the generated target", DefaultValueFactory = _ => 50_000 };
        var steps = new Option<int>("--steps") { Description = "training steps each measured process runs", DefaultValueFactory = _ => 20 };
        var batch = new Option<int>("--batch-size") { Description = "training batch (ResNet-18 at 224 px and batch 32 alone peaks near 2 GiB on a CPU, whatever the dataset size)", DefaultValueFactory = _ => 16 };
        var before = new Option<string?>("--before") { Description = "an older build's WebLab.Cli.dll to run on the same target first (the 'before' row)" };
        var (threads, repeats, results, _) = Common();
        var command = new Command("tiles", "A 50,000-image target at 224 px trained from the shared tile cache: peak RSS, and time to the first step with and without decoding.")
        {
            work, images, steps, batch, before, results,
        };
        command.SetAction(parse => TileCacheBench.Run(Options(parse, threads, repeats, results), parse.GetValue(work)!, parse.GetValue(images),
            parse.GetValue(steps), parse.GetValue(batch), parse.GetValue(before)));
        return command;
    }

    /// <summary>The process `bench tiles` measures (one experiment, stopped after its steps); not for direct use.</summary>
    private static Command TilesRun()
    {
        var target = new Option<string>("--target") { Required = true };
        var source = new Option<string>("--source") { Required = true };
        var tiles = new Option<string>("--tiles") { Required = true };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 20 };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 32 };
        var command = new Command("tiles-run", "(used by bench tiles)") { target, source, tiles, steps, batch };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            TorchRuntime.Initialize();
            return TileCacheBench.RunChild(parse.GetValue(target)!, parse.GetValue(source)!, parse.GetValue(tiles)!, parse.GetValue(steps),
                parse.GetValue(batch));
        });
        return command;
    }

    private static Command InputSize()
    {
        var model = new Option<string>("--model") { Description = "architecture", DefaultValueFactory = _ => "resnet18-cntk" };
        var batch = new Option<int>("--batch") { Description = "images per step", DefaultValueFactory = _ => 32 };
        var sizes = new Option<string>("--sizes") { Description = "input sizes in px, comma-separated", DefaultValueFactory = _ => "128,224" };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps per repeat", DefaultValueFactory = _ => 3 };
        var steps = new Option<int>("--steps") { Description = "timed steps per repeat", DefaultValueFactory = _ => 10 };
        var (threads, repeats, results, _) = Common();
        var command = new Command("input-size", "Training steps/s at several input sizes (ResNet-18 at 128 and 224 px by default): what the input-size dial costs.")
        {
            model, batch, sizes, warmup, steps, threads, repeats, results,
        };
        command.SetAction(parse => InputSizeBench.Run(Options(parse, threads, repeats, results), parse.GetValue(model)!, parse.GetValue(batch),
            PretrainVerb.Split(parse.GetValue(sizes))?.Select(s => int.TryParse(s, out var n) ? n : throw new BadInputException($"--sizes: '{s}' is not a number of pixels."))
                .ToList() ?? [], parse.GetValue(warmup), parse.GetValue(steps)));
        return command;
    }

    private static Command EndToEnd()
    {
        var web = new Option<string>("--web")
        {
            Description = "the built host (WebLab.Web.dll)",
            DefaultValueFactory = _ => Path.Combine(RepoRoot() ?? ".", "src", "WebLab.Web", "bin", "Release", "net10.0", "WebLab.Web.dll"),
        };
        var data = new Option<string>("--data")
        {
            Description = "the lab's data folder; one that already holds the demo source skips its ~2 min pretraining (kept between runs)",
            DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "weblab-bench", "lab"),
        };
        var (threads, repeats, results, _) = Common();
        repeats.DefaultValueFactory = _ => 3;
        var command = new Command("e2e", "The demo experiment through a real lab: submit to result, and time to the first result (probe).")
        {
            web, data, repeats, results,
        };
        command.SetAction(parse => EndToEndBench.Run(Options(parse, threads, repeats, results), parse.GetValue(web)!, parse.GetValue(data)!));
        return command;
    }

    private static Command Memory()
    {
        var experiments = new Option<int>("--experiments") { Description = "experiments to run back to back", DefaultValueFactory = _ => 50 };
        var work = new Option<string>("--work")
        {
            Description = "folder for the tiny source checkpoint (kept between runs)",
            DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "weblab-bench"),
        };
        var noInstall = Cli.NoInstall();
        var (threads, repeats, results, _) = Common();
        var command = new Command("memory", "Small experiments back to back in one process: RSS, managed and native heap at 1, 10 and the last; fails on growth.")
        {
            experiments, work, noInstall, results,
        };
        command.SetAction(parse => MemoryBench.Run(Options(parse, threads, repeats, results), parse.GetValue(work)!,
            Math.Max(10, parse.GetValue(experiments)), parse.GetValue(noInstall)));
        return command;
    }

    private static Command Pipeline()
    {
        var work = new Option<string>("--work")
        {
            Description = "folder for the generated sample zips (kept between runs)",
            DefaultValueFactory = _ => Path.Combine(Path.GetTempPath(), "weblab-bench"),
        };
        var pngs = new Option<int>("--pngs") { Description = "28 px PNGs (from Fashion-MNIST) in the first sample", DefaultValueFactory = _ => 4000 };
        var jpegs = new Option<int>("--jpegs") { Description = "500x375 JPEGs in the second sample", DefaultValueFactory = _ => 300 };
        var noInstall = Cli.NoInstall();
        var (threads, repeats, results, _) = Common();
        repeats.DefaultValueFactory = _ => 3;
        var command = new Command("pipeline", "Decode + augment + collate throughput (28 px PNGs, 500x375 JPEGs to 224 px) vs the trainer's consumption, and its loader wait.")
        {
            work, pngs, jpegs, noInstall, threads, repeats, results,
        };
        command.SetAction(parse => PipelineBench.Run(Options(parse, threads, repeats, results), parse.GetValue(work)!, parse.GetValue(pngs),
            parse.GetValue(jpegs), parse.GetValue(noInstall)));
        return command;
    }

    private static Command TrainStep()
    {
        var warmup = new Option<int>("--warmup") { Description = "untimed steps per repeat", DefaultValueFactory = _ => 5 };
        var steps = new Option<int>("--steps")
        {
            Description = $"timed steps per repeat (below {TrainStepBench.MinimumSteps} the results file marks the run exploratory)",
            DefaultValueFactory = _ => TrainStepBench.MinimumSteps,
        };
        var (threads, repeats, results, chroot) = Common();
        repeats.DefaultValueFactory = _ => TrainStepBench.MinimumRepeats;
        var (precision, channelsLast, models) = ArithmeticOptions();
        var plainMalloc = PlainMalloc();
        var noAugmentation = new Option<bool>("--no-augmentation")
        {
            Description = "train without augmentation (centre crop only) to see what augmenting on the loader thread costs; writes train-step-no-augmentation.md",
        };
        var command = new Command("train-step", "Training steps/s of WebLab's trainer vs a PyTorch loop (ResNet-20 32 px b128, ResNet-18 64 px b32).")
        {
            warmup, steps, threads, repeats, results, chroot, plainMalloc, noAugmentation, precision, channelsLast, models,
        };
        command.SetAction(parse => TrainStepBench.Run(Options(parse, threads, repeats, results), Reference(parse, chroot, plainMalloc),
            parse.GetValue(warmup), parse.GetValue(steps), augment: !parse.GetValue(noAugmentation), Arithmetic(parse, precision, channelsLast),
            parse.GetValue(models)));
        return command;
    }

    private static Command ArithmeticModes()
    {
        var warmup = new Option<int>("--warmup") { Description = "untimed training steps per repeat", DefaultValueFactory = _ => 3 };
        var steps = new Option<int>("--steps") { Description = "timed training steps per repeat and mode", DefaultValueFactory = _ => 30 };
        var batches = new Option<int>("--batches") { Description = "inference batches per repeat and mode", DefaultValueFactory = _ => 8 };
        var tasks = new Option<string>("--tasks") { Description = "training, inference or both", DefaultValueFactory = _ => "both" };
        var (threads, repeats, results, chroot) = Common();
        var plainMalloc = PlainMalloc();
        var (_, _, models) = ArithmeticOptions();
        var command = new Command("arithmetic", "bf16 autocast and channels-last vs float32, training and inference, WebLab and PyTorch, interleaved.")
        {
            warmup, steps, batches, tasks, threads, repeats, results, chroot, plainMalloc, models,
        };
        command.SetAction(parse => ArithmeticBench.Run(Options(parse, threads, repeats, results), Reference(parse, chroot, plainMalloc),
            parse.GetValue(warmup), parse.GetValue(steps), parse.GetValue(batches), parse.GetValue(models),
            training: parse.GetValue(tasks) is "training" or "both", inference: parse.GetValue(tasks) is "inference" or "both"));
        return command;
    }

    private static Command WarmUp()
    {
        var processes = new Option<int>("--processes") { Description = "fresh processes per side (alternating WebLab, PyTorch)", DefaultValueFactory = _ => 7 };
        var steps = new Option<int>("--steps") { Description = "the step whose end is timed", DefaultValueFactory = _ => WarmUpBench.DefaultSteps };
        var variants = new Option<string[]>("--variant")
        {
            Description = "an extra WebLab arm, LABEL=VAR=VALUE[;VAR=VALUE] environment for its processes (e.g. 'no-pgo=DOTNET_TieredPGO=0'), " +
                "or LABEL=@PATH/weblab.dll for another build; repeatable",
            AllowMultipleArgumentsPerToken = false,
        };
        var (threads, repeats, results, chroot) = Common();
        var plainMalloc = PlainMalloc();
        var command = new Command("warm-up", "Time from process start to the 25th training step, WebLab's trainer vs PyTorch, over fresh processes.")
        {
            processes, steps, variants, threads, results, chroot, plainMalloc,
        };
        command.SetAction(parse => WarmUpBench.Run(Options(parse, threads, repeats, results), Reference(parse, chroot, plainMalloc),
            parse.GetValue(processes), parse.GetValue(steps), parse.GetValue(variants) ?? []));
        return command;
    }

    /// <summary>The process `bench warm-up` measures: the demo's workload in WebLab's trainer for N steps; not for direct use.</summary>
    private static Command WarmUpRun()
    {
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => WarmUpBench.DefaultSteps };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("warm-up-run", "(used by bench warm-up)") { steps, threads };
        command.Hidden = true;
        command.SetAction(parse =>
        {
            TorchRuntime.Initialize();
            return WarmUpBench.RunChild(parse.GetValue(steps), Math.Max(1, parse.GetValue(threads)));
        });
        return command;
    }

    private static (Option<string> Precision, Option<bool> ChannelsLast, Option<string?> Models) ArithmeticOptions() =>
    (
        new Option<string>("--precision")
        {
            Description = "forward-pass precision on both sides: float32, or bf16 (autocast, as torch.autocast('cpu', dtype=torch.bfloat16))",
            DefaultValueFactory = _ => "float32",
        },
        new Option<bool>("--channels-last") { Description = "model and inputs in channels-last memory format on both sides" },
        new Option<string?>("--models") { Description = "only these workloads' models, comma-separated (e.g. resnet18); default all" }
    );

    private static Arithmetic Arithmetic(ParseResult parse, Option<string> precision, Option<bool> channelsLast) =>
        new(parse.GetValue(precision) switch
        {
            "float32" or "fp32" => Precision.Float32,
            "bf16" or "bfloat16" => Precision.BFloat16,
            var other => throw new BadInputException($"--precision: '{other}' is not float32 or bf16."),
        }, ChannelsLast: parse.GetValue(channelsLast));

    private static Command Inference()
    {
        var batches = new Option<int>("--batches") { Description = "batches per repeat", DefaultValueFactory = _ => 8 };
        var (threads, repeats, results, chroot) = Common();
        var plainMalloc = PlainMalloc();
        var (precision, channelsLast, _) = ArithmeticOptions();
        var command = new Command("inference", "Inference images/s of WebLab's evaluation vs PyTorch (ResNet-20 32 px, ResNet-18 64 px, batch 256).")
        {
            batches, threads, repeats, results, chroot, plainMalloc, precision, channelsLast,
        };
        command.SetAction(parse => InferenceBench.Run(Options(parse, threads, repeats, results), Reference(parse, chroot, plainMalloc),
            parse.GetValue(batches), Arithmetic(parse, precision, channelsLast)));
        return command;
    }

    private static Option<bool> PlainMalloc() => new("--pytorch-default-malloc")
    {
        Description = "run PyTorch with glibc's default allocator settings instead of WebLab's (slower; a researcher's unset environment)",
    };

    private static PyTorchReference Reference(ParseResult parse, Option<string> chroot, Option<bool> plainMalloc) =>
        new(parse.GetValue(chroot)!, tunedAllocator: !parse.GetValue(plainMalloc));

    private static (Option<int> Threads, Option<int> Repeats, Option<string?> Results, Option<string> Chroot) Common() =>
    (
        new Option<int>("--threads") { Description = "intra-op threads on both sides", DefaultValueFactory = _ => Environment.ProcessorCount },
        new Option<int>("--repeats") { Description = "interleaved repeats (median reported)", DefaultValueFactory = _ => 5 },
        new Option<string?>("--results") { Description = "folder for the results file; 'none' prints only", DefaultValueFactory = _ => DefaultResults() },
        new Option<string>("--chroot")
        {
            Description = "the PyTorch chroot made by bench/pytorch/setup.sh",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("WEBLAB_BENCH_CHROOT") is { Length: > 0 } root ? root : PyTorchReference.DefaultRoot,
        }
    );

    private static BenchOptions Options(ParseResult parse, Option<int> threads, Option<int> repeats, Option<string?> results)
    {
        TorchRuntime.Initialize();
        var folder = parse.GetValue(results);
        return new BenchOptions(Math.Max(1, parse.GetValue(threads)), Math.Max(1, parse.GetValue(repeats)),
            folder is null || folder == "none" ? null : folder, "weblab " + string.Join(' ', parse.Tokens.Select(t => t.Value)));
    }

    /// <summary>bench/results of the repository we are run from (found upwards from the working directory), else ./bench-results.</summary>
    private static string DefaultResults() =>
        RepoRoot() is { } root ? Path.Combine(root, "bench", "results") : Path.Combine(Environment.CurrentDirectory, "bench-results");

    private static string? RepoRoot()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "WebLab.sln")))
                return dir.FullName;
        }
        return null;
    }
}
