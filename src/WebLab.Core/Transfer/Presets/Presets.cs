using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace WebLab.Transfer;

/// <summary>Where on the size x similarity plane a preset is meant for (plane coordinates, see <see cref="Plane"/>).</summary>
public sealed record PresetRegion(double[] Size, double[] Similarity)
{
    public bool Contains(double size, double similarity) =>
        size >= Size[0] && size < Size[1] && similarity >= Similarity[0] && similarity <= Similarity[1];
}

/// <summary>Dials that apply up to a target size (training examples); the first matching band wins.</summary>
public sealed record SizeBand(int? MaxExamples, JsonObject Dials);

/// <summary>
/// A best-practice strategy as data: base dials, size bands that adjust them, the plane region it is for, and its
/// rationale with the field-guide sections it encodes. Versioned: a result records "id@version".
/// </summary>
public sealed record Preset(
    string Id,
    int Version,
    string Title,
    string Summary,
    string Rationale,
    IReadOnlyList<string> Cites,
    PresetRegion? Region,
    JsonObject Dials,
    IReadOnlyList<SizeBand>? BySize)
{
    /// <summary>"id@version", what results record.</summary>
    public string Tag => $"{Id}@{Version}";

    /// <summary>The dials for a target of <paramref name="examples"/> training images (base dials, then the matching size band).</summary>
    public TransferDials DialsFor(int examples)
    {
        var node = JsonSerializer.SerializeToNode(new TransferDials(), WebLabJson.Options)!.AsObject();
        foreach (var (key, value) in Dials)
            node[key] = value?.DeepClone();
        var band = BySize?.FirstOrDefault(b => b.MaxExamples is null || examples <= b.MaxExamples);
        foreach (var (key, value) in band?.Dials ?? [])
            node[key] = value?.DeepClone();
        // A preset that budgets in epochs must not inherit a budget in updates.
        if (Dials.ContainsKey("epochs") && !Dials.ContainsKey("steps") && band?.Dials.ContainsKey("steps") != true)
            node["steps"] = null;
        return node.Deserialize<TransferDials>(WebLabJson.Options)!;
    }
}

/// <summary>The preset library (Transfer/Presets/presets.json, embedded in WebLab.Core).</summary>
public static class Presets
{
    /// <summary>The field guide's section titles; a preset may only cite these.</summary>
    public static IReadOnlyList<string> FieldGuideSections { get; } =
    [
        "1. Definitions the lab reports",
        "2. The taxonomy: two continuous axes",
        "3. Best practice per quadrant",
        "4. Regularisers (formulas)",
        "5. Transferability measures",
        "6. Schedules",
        "7. The datasets people benchmark on",
        "8. CS231n rules of thumb (the classic four cases)",
    ];

    private static readonly Lazy<IReadOnlyList<Preset>> s_all = new(() =>
    {
        using var stream = typeof(Presets).Assembly.GetManifestResourceStream("WebLab.presets.json")
            ?? throw new InvalidOperationException("presets.json is not embedded in WebLab.Core.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    });

    /// <summary>Every preset, in the file's order.</summary>
    public static IReadOnlyList<Preset> All => s_all.Value;

    /// <summary>A preset by id (case-insensitive); unknown ids are input errors that list the known ones.</summary>
    public static Preset Get(string id) =>
        All.FirstOrDefault(p => p.Id.Equals(id, StringComparison.OrdinalIgnoreCase))
        ?? throw new BadInputException($"Unknown preset '{id}'. Known: auto, {string.Join(", ", All.Select(p => p.Id))}.");

    /// <summary>Parses and validates a preset document: every dial name known, values in range, cites from the field guide.</summary>
    public static IReadOnlyList<Preset> Parse(string json, string origin = "presets.json")
    {
        var document = WebLabJson.Deserialize<Document>(json, origin);
        if (document.Version != 1)
            throw new BadInputException($"{origin}: version {document.Version} is not supported (expected 1).");
        var presets = document.Presets ?? [];
        var errors = new List<string>();
        var known = DialNames.TransferDials.ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var group in presets.GroupBy(p => p.Id, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
            errors.Add($"id '{group.Key}' appears {group.Count()} times");
        foreach (var preset in presets)
        {
            if (preset.Id == "auto")
                errors.Add("'auto' is reserved for the recommender");
            if (string.IsNullOrWhiteSpace(preset.Rationale) || string.IsNullOrWhiteSpace(preset.Summary) || preset.Cites.Count == 0)
                errors.Add($"{preset.Id}: needs a summary, a rationale and at least one field-guide citation");
            errors.AddRange(preset.Cites.Where(c => !FieldGuideSections.Contains(c)).Select(c => $"{preset.Id}: cites unknown section '{c}'"));
            errors.AddRange(TextCitationErrors(preset));
            var names = preset.Dials.Select(d => d.Key).Concat(preset.BySize?.SelectMany(b => b.Dials.Select(d => d.Key)) ?? []);
            errors.AddRange(names.Where(n => !known.Contains(n)).Distinct().Select(n => $"{preset.Id}: unknown dial '{n}'"));
            if (preset.Region is { } r && (r.Size.Length != 2 || r.Similarity.Length != 2 || r.Size[0] >= r.Size[1] || r.Similarity[0] >= r.Similarity[1]))
                errors.Add($"{preset.Id}: region needs [low, high] for size and similarity");
            foreach (var examples in new[] { 50, 5_000, 50_000, 1_000_000 })
            {
                try
                {
                    errors.AddRange(preset.DialsFor(examples).Validate().Select(e => $"{preset.Id} at {examples} examples: {e}"));
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
                {
                    errors.Add($"{preset.Id}: a dial has the wrong type ({e.Message})");
                }
            }
        }
        if (errors.Count > 0)
            throw new BadInputException($"{origin}: " + string.Join("; ", errors.Distinct()) + ".");
        return presets;
    }

    /// <summary>
    /// A preset's words cite the field guide the way the pages show it: a quoted section title, exactly as in
    /// <see cref="FieldGuideSections"/> and listed in its cites; never "field guide 6" or "section 3", which drift.
    /// </summary>
    private static IEnumerable<string> TextCitationErrors(Preset preset)
    {
        foreach (var text in new[] { preset.Summary ?? "", preset.Rationale ?? "" })
        {
            foreach (Match m in s_quotedSection.Matches(text))
            {
                var title = m.Groups[1].Value;
                if (!FieldGuideSections.Contains(title))
                    yield return $"{preset.Id}: its text cites \"{title}\", which is not a field-guide section title";
                else if (!preset.Cites.Contains(title))
                    yield return $"{preset.Id}: its text cites \"{title}\" but its cites do not list it";
            }
            if (s_numberedReference.Match(text) is { Success: true } numbered)
                yield return $"{preset.Id}: its text says \"{numbered.Value}\"; cite a section by its quoted title instead";
        }
    }

    private static readonly Regex s_quotedSection = new("\"(\\d+\\.[^\"]*)\"");
    private static readonly Regex s_numberedReference =
        new("\\b(field guide|section)s? \\d+", RegexOptions.IgnoreCase);

    private sealed record Document(int Version, List<Preset>? Presets);
}
