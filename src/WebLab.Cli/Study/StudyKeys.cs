namespace WebLab.Cli.Study;

/// <summary>
/// raw.json's keys, "kind/source/task[/...]", built and read in one place: an analysis or experiment of a pair is found by them, and
/// a record counts toward the study only while its pair is in the plan.
/// </summary>
internal static class StudyKeys
{
    private const string AnalysisKind = "analysis", AnswerKind = "run", MeasureKind = "measure", ContrastKind = "contrast";

    public static string Analysis(StudyPair pair) => $"{AnalysisKind}/{pair.Id}";

    public static string Answer(StudyPair pair, string answer, GridPoint point) => $"{AnswerKind}/{pair.Id}/{answer}/{point.Key}";

    public static string Bit(StudyPair pair) => $"{AnswerKind}/{pair.Id}/bit-hyperrule/rule";

    public static string Measure(StudyPair pair) => $"{MeasureKind}/{pair.Id}";

    public static string Contrast(StudyPair pair, string preset) => $"{ContrastKind}/{pair.Id}/{preset}";

    /// <summary>The pair ("source/task") a record belongs to; null for a key that is not a pair's (the plan, the last run).</summary>
    public static string? PairId(string key) => key.Split('/') is [_, var source, var task, ..] ? $"{source}/{task}" : null;

    /// <summary>Whether the record is an experiment (both arms, per seed) rather than an analysis.</summary>
    public static bool IsExperiment(string key) => key.Split('/')[0] is AnswerKind or MeasureKind or ContrastKind;
}
