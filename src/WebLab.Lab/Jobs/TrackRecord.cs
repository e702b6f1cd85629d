using System.Globalization;
using System.Text.Json;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Transfer;

namespace WebLab.Lab.Jobs;

/// <summary>How well one transferability measure has ranked this lab's own targets by their measured transfer gain.</summary>
/// <param name="Rho">Spearman's ρ between the measure and the gain (−NTG); NaN when undefined.</param>
/// <param name="N">Experiments it is computed over.</param>
public sealed record MeasureTrackRecord(string Id, string Name, double Rho, int N);

/// <summary>
/// Measures are known to mis-rank on some datasets (LEEP correlates negatively on Aircraft and Pets in published
/// benchmarks), so the lab shows each measure's own track record: its rank correlation with the gains of the finished
/// experiments that analysed their target first (the "auto" preset records the analysis in the result).
/// </summary>
public static class TrackRecord
{
    /// <summary>Fewer experiments than this: no correlation is reported.</summary>
    public const int MinExperiments = 3;

    /// <param name="viewer">Only experiments this caller may see count (someone else's private results stay out of it).</param>
    public static async Task<IReadOnlyList<MeasureTrackRecord>> ComputeAsync(JobStore store, Access.Caller viewer, CancellationToken cancellationToken = default)
    {
        var rows = new List<(Dictionary<string, (string Name, double Value)> Measures, double Gain)>();
        foreach (var job in await store.ListAsync(JobState.Succeeded, ExperimentKind.Id, limit: 1000, viewer: viewer, cancellationToken: cancellationToken))
        {
            if (job.ResultJson is null)
                continue;
            using var document = JsonDocument.Parse(job.ResultJson);
            var root = document.RootElement;
            if (!root.TryGetProperty("analysis", out var analysis) || !root.TryGetProperty("ntg", out var ntg))
                continue;
            var measures = new Dictionary<string, (string, double)>();
            foreach (var m in analysis.GetProperty("measures").EnumerateArray())
            {
                // Results are written with named floating-point literals: an undefined measure is the string "NaN".
                var value = m.GetProperty("value");
                double v = value.ValueKind == JsonValueKind.String ? double.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetDouble();
                if (double.IsFinite(v))
                    measures[m.GetProperty("id").GetString()!] = (m.GetProperty("name").GetString()!, v);
            }
            if (ntg.ValueKind == JsonValueKind.Object && ntg.GetProperty("mean").ValueKind == JsonValueKind.Number)
                rows.Add((measures, -100 * ntg.GetProperty("mean").GetDouble()));
        }
        if (rows.Count < MinExperiments)
            return [];
        return rows.SelectMany(r => r.Measures.Keys).Distinct().Select(id =>
        {
            var with = rows.Where(r => r.Measures.ContainsKey(id)).ToList();
            if (with.Count < MinExperiments)
                return new MeasureTrackRecord(id, with[0].Measures[id].Name, double.NaN, with.Count);
            var rho = Measures.Spearman(with.Select(r => r.Measures[id].Value).ToArray(), with.Select(r => r.Gain).ToArray());
            return new MeasureTrackRecord(id, with[0].Measures[id].Name, rho, with.Count);
        }).ToList();
    }
}
