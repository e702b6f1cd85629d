using System.CommandLine;
using WebLab.Training;

namespace WebLab.Cli.Verbs;

/// <summary>weblab experiment: transfer vs random init on one target, over seeds, with the NTG.</summary>
internal static class ExperimentVerb
{
    /// <summary>Options every experiment-shaped verb shares (experiment, sweep).</summary>
    internal sealed class Common
    {
        public Option<string> Target { get; } = new("--target") { Description = "target dataset: catalogue id, class-folder directory or zip, or IDX folder", Required = true };
        public Option<string?> TargetClasses { get; } = new("--target-classes") { Description = "classes of the target to use: indices or names, comma-separated (default: all)" };
        public Option<int?> PerClass { get; } = new("--per-class") { Description = "training images per class (default: all)" };
        public Option<string> Source { get; } = new("--source") { Description = "source checkpoint (.weblab)", Required = true };
        public Option<int> Seeds { get; } = new("--seeds") { Description = "seeds per arm", DefaultValueFactory = _ => 3 };
        public Option<int> FirstSeed { get; } = new("--first-seed") { DefaultValueFactory = _ => 0 };
        public Option<string?> Name { get; } = new("--name") { Description = "display name" };
        public Option<bool> NoProbe { get; } = new("--no-probe") { Description = "skip the frozen-feature probe" };
        public Option<string?> Preset { get; } = new("--preset")
        {
            Description = "a best-practice preset (" + string.Join(", ", Transfer.Presets.All.Select(p => p.Id)) +
                          ") or auto (analyse, then let the recommender choose); dial options given as well adjust it",
        };
        public Option<string> Device { get; } = Cli.Device();
        public Option<string?> Json { get; } = Cli.JsonFile();
        public Option<bool> NoInstall { get; } = Cli.NoInstall();
        public Option<bool> NoReuse { get; } = new("--no-reuse")
        {
            Description = "train every random-init run, even one identical to a run already done (by default those are reused from " +
                          "scratch-runs/ in WebLab's cache folder: $WEBLAB_CACHE, else ~/.cache/weblab)",
        };
        public DialOptions Dials { get; } = new();

        public IEnumerable<Option> All =>
            new Option[] { Target, TargetClasses, PerClass, Source, Seeds, FirstSeed, Name, NoProbe, Preset, Device, Json, NoInstall, NoReuse }.Concat(Dials.All);

        /// <summary>Where finished scratch runs are reused from and kept: the cache folder's, or none with --no-reuse.</summary>
        public IScratchRunCache ScratchRuns(ParseResult parse) =>
            parse.GetValue(NoReuse) ? NoScratchRunCache.Instance : new FolderScratchRunCache(FolderScratchRunCache.DefaultRoot);

        /// <summary>The spec the options ask for; its warnings (e.g. a single seed) go to stderr before anything runs.</summary>
        public ExperimentSpec Spec(ParseResult parse, string? checkpoint)
        {
            var spec = Dials.Apply(parse, new ExperimentSpec(
                parse.GetRequiredValue(Target), parse.GetRequiredValue(Source), PretrainVerb.Split(parse.GetValue(TargetClasses)),
                parse.GetValue(PerClass), Seeds: parse.GetValue(Seeds), FirstSeed: parse.GetValue(FirstSeed), Device: parse.GetValue(Device)!,
                Name: parse.GetValue(Name), CheckpointPath: checkpoint, Probe: !parse.GetValue(NoProbe), Preset: parse.GetValue(Preset)));
            foreach (var warning in spec.Warnings())
                Console.Error.WriteLine($"warning: {warning}");
            return spec;
        }
    }

    public static Command Create()
    {
        var common = new Common();
        var checkpoint = new Option<string?>("--checkpoint-out") { Description = "save the transfer arm's best-validation model here (.weblab)" };
        var command = new Command("experiment",
            "Fine-tune a source checkpoint on a target and train the same model from random initialisation, over seeds; report the negative transfer gap.");
        foreach (var option in common.All.Append(checkpoint))
            command.Options.Add(option);
        command.SetAction((parse, cancellationToken) =>
        {
            var spec = common.Spec(parse, parse.GetValue(checkpoint));
            var result = Experiment.Run(spec, new ExperimentView(), files: Cli.Files(parse.GetValue(common.NoInstall)),
                scratchRuns: common.ScratchRuns(parse), cancellationToken: cancellationToken);
            ExperimentView.PrintSummary(result);
            Cli.WriteJson(parse, common.Json, result);
            return Task.FromResult(0);
        });
        return command;
    }
}
