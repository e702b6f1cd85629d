using System.CommandLine;
using System.Globalization;
using WebLab.Transfer;

namespace WebLab.Cli.Verbs;

/// <summary>weblab analyse / weblab recommend: transferability measures before training, and the "auto" preset's choice.</summary>
internal static class AnalyseVerb
{
    private sealed class Options
    {
        public Option<string> Target { get; } = new("--target") { Description = "target dataset: catalogue id, class-folder directory or zip, or IDX folder", Required = true };
        public Option<string?> TargetClasses { get; } = new("--target-classes") { Description = "classes of the target to use: indices or names, comma-separated (default: all)" };
        public Option<int?> PerClass { get; } = new("--per-class") { Description = "training images per class (default: all)" };
        public Option<string> Source { get; } = new("--source") { Description = "source checkpoint (.weblab)", Required = true };
        public Option<int> Seed { get; } = new("--seed") { DefaultValueFactory = _ => 0 };
        public Option<int> FineTuneSteps { get; } = new("--fine-tune-steps") { Description = "updates of the short fine-tune (0 = skip)", DefaultValueFactory = _ => 60 };
        public Option<string> Device { get; } = Cli.Device();
        public Option<string?> Json { get; } = Cli.JsonFile();
        public Option<bool> NoInstall { get; } = Cli.NoInstall();

        public IEnumerable<Option> All => [Target, TargetClasses, PerClass, Source, Seed, FineTuneSteps, Device, Json, NoInstall];

        public AnalysisSpec Spec(ParseResult parse) => new(parse.GetRequiredValue(Target), parse.GetRequiredValue(Source),
            PretrainVerb.Split(parse.GetValue(TargetClasses)), parse.GetValue(PerClass), parse.GetValue(Seed), parse.GetValue(FineTuneSteps),
            parse.GetValue(Device)!);
    }

    public static Command CreateAnalyse()
    {
        var options = new Options();
        var command = new Command("analyse", "Transferability of a source to a target before training: LEEP, NCE, H-score (plain and shrinkage), LogME, kNN and linear-probe accuracy per stage, and the probe vs short fine-tune gap.");
        foreach (var option in options.All)
            command.Options.Add(option);
        command.SetAction((parse, cancellationToken) =>
        {
            var result = Analysis.Run(options.Spec(parse), Cli.Status, Cli.Files(parse.GetValue(options.NoInstall)), cancellationToken);
            Print(result);
            Cli.WriteJson(parse, options.Json, result);
            return Task.FromResult(0);
        });
        return command;
    }

    public static Command CreateRecommend()
    {
        var options = new Options();
        var command = new Command("recommend", "Place a target and source on the size x similarity plane, pick a preset, adjust its dials and explain why (what --preset auto does).");
        foreach (var option in options.All)
            command.Options.Add(option);
        command.SetAction((parse, cancellationToken) =>
        {
            var analysis = Analysis.Run(options.Spec(parse), Cli.Status, Cli.Files(parse.GetValue(options.NoInstall)), cancellationToken);
            Print(analysis);
            var recommendation = Recommender.Recommend(analysis);
            Print(recommendation);
            Cli.WriteJson(parse, options.Json, new AnalysisReport(analysis, recommendation));
            return Task.FromResult(0);
        });
        return command;
    }

    internal static void Print(AnalysisResult result)
    {
        var ci = CultureInfo.InvariantCulture;
        var o = Console.Out;
        o.WriteLine();
        o.WriteLine($"  {result.Source.Name ?? result.Source.Architecture} -> {result.Target.Dataset}: {result.Size.Examples} training images, " +
                    $"{result.Size.Classes} classes (>= {result.Size.MinPerClass} per class), model {result.Size.ModelParameters:N0} parameters");
        o.WriteLine();
        o.WriteLine(string.Format(ci, "  {0,-44} {1,10} {2,9}  {3}", "measure", "value", "seconds", "range / reference"));
        foreach (var m in result.Measures)
            o.WriteLine(string.Format(ci, "  {0,-44} {1,10:F4} {2,9:F2}  {3}; {4}", m.Name, m.Value, m.Seconds, m.Range, m.Reference));
        foreach (var m in result.Unavailable ?? [])
            o.WriteLine(string.Format(ci, "  {0,-44} {1,10} {2,9}  {3}; {4}", m.Name, "-", "-", m.Reason, m.Reference));
        o.WriteLine();
        o.WriteLine(string.Format(ci, "  {0,-6} {1,6} {2,8} {3,8} {4,9} {5,8} {6,20}", "stage", "width", "probe", "kNN", "LogME", "H-score", "H-score (shrinkage)"));
        foreach (var s in result.Stages)
            o.WriteLine(string.Format(ci, "  {0,-6} {1,6} {2,8:P1} {3,8:P1} {4,9:F4} {5,8:F3} {6,20:F3}", s.Stage, s.Width, s.ProbeAccuracy, s.KnnAccuracy, s.LogMe,
                s.HScore, s.HScoreShrinkage));
        o.WriteLine(string.Format(ci, "  features: {0:F1} s; total {1:F1} s on {2}", result.FeatureSeconds, result.Seconds, result.Device));
    }

    internal static void Print(Recommendation r)
    {
        var o = Console.Out;
        o.WriteLine();
        foreach (var line in PlaneChart.Render(r.Size, r.Similarity))
            o.WriteLine("  " + line);
        o.WriteLine();
        o.WriteLine($"  recommended preset: {r.PresetTag} ({r.Region} region)");
        foreach (var reason in r.Reasons.Concat(r.Adjustments))
            o.WriteLine($"  - {reason}");
    }
}

/// <summary>The size x similarity plane as text: the four regions and the target's position (*).</summary>
internal static class PlaneChart
{
    public static IReadOnlyList<string> Render(double size, double similarity, int width = 48, int height = 12)
    {
        const double minSize = -0.5, maxSize = 1.5;
        int col = (int)Math.Round(Math.Clamp((size - minSize) / (maxSize - minSize), 0, 1) * (width - 1));
        int row = (int)Math.Round((1 - Math.Clamp(similarity, 0, 1)) * (height - 1));
        int boundaryCol = (int)Math.Round((Plane.SizeBoundary - minSize) / (maxSize - minSize) * (width - 1));
        int boundaryRow = (int)Math.Round((1 - Plane.SimilarityBoundary) * (height - 1));
        var lines = new List<string> { "similarity" };
        for (int r = 0; r < height; r++)
        {
            var chars = new char[width];
            for (int c = 0; c < width; c++)
                chars[c] = c == boundaryCol ? '|' : r == boundaryRow ? '-' : ' ';
            Label(chars, r == 1, r == height - 2, boundaryCol);
            if (r == row)
                chars[col] = '*';
            string axis = r == 0 ? "1.0 " : r == height - 1 ? "0.0 " : "    ";
            lines.Add(axis + "|" + new string(chars));
        }
        lines.Add("    +" + new string('-', width));
        lines.Add($"     small (size {minSize})" + new string(' ', Math.Max(1, width - 38)) + $"large (size {maxSize})");
        return lines;
    }

    private static void Label(char[] chars, bool top, bool bottom, int boundary)
    {
        if (!top && !bottom)
            return;
        string left = top ? "small-similar" : "small-dissimilar", right = top ? "large-similar" : "large-dissimilar";
        left.CopyTo(0, chars, 1, Math.Min(left.Length, boundary - 2));
        right.CopyTo(0, chars, boundary + 2, Math.Min(right.Length, chars.Length - boundary - 3));
    }
}
