using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using WebLab.Training;

namespace WebLab.Transfer;

/// <summary>
/// Sets experiment settings by name, as text - what sweeps, the CLI's --set and scripts use. Names are the JSON
/// (camelCase) names: a transfer dial ("headLearningRate", "blocksTransferred", "l2spAlpha"), an experiment
/// setting ("perClass", "seeds"), or a scratch dial with its prefix ("scratch.learningRate").
/// "all", "none" and "null" clear a nullable setting.
/// </summary>
public static class DialNames
{
    private static readonly HashSet<string> s_autoWhenUnset = new(StringComparer.Ordinal) { "inputSize" };

    private static readonly HashSet<string> s_experiment = new(StringComparer.OrdinalIgnoreCase) { "perClass", "seeds", "firstSeed", "targetClasses", "preset" };

    /// <summary>Every transfer dial name.</summary>
    public static IReadOnlyList<string> TransferDials { get; } =
        JsonSerializer.SerializeToNode(new TransferDials(), WebLabJson.Options)!.AsObject().Select(p => p.Key)
            .Concat(["blocksTransferred", "headStage", "blockLearningRates", "l2spBlocks", "headL2", "decayMilestones", "steps", "patience", "inputSize", "crop"]).Distinct().Order().ToArray();

    /// <summary>Returns <paramref name="spec"/> with one setting changed; unknown names and bad values are input errors.</summary>
    public static ExperimentSpec With(ExperimentSpec spec, string name, string value)
    {
        bool transferDial = !name.StartsWith("scratch.", StringComparison.OrdinalIgnoreCase) && !s_experiment.Contains(name);
        if (transferDial && spec.DialsFromPreset)
        {
            // The preset's dials are only known at run time: keep the setting as an override (checked now on the defaults).
            var dial = Canonical(name, TransferDials);
            With(spec with { Preset = null }, dial, value);
            return spec with { Overrides = new Dictionary<string, string>(spec.Overrides ?? new Dictionary<string, string>()) { [dial] = value } };
        }
        var node = JsonSerializer.SerializeToNode(spec with { Transfer = transferDial ? spec.Dials : spec.Transfer, Scratch = spec.ScratchArm },
            WebLabJson.Options)!.AsObject();
        JsonObject target;
        string key;
        if (name.StartsWith("scratch.", StringComparison.OrdinalIgnoreCase))
        {
            target = node["scratch"]!.AsObject();
            key = Canonical(name["scratch.".Length..], ["learningRate", "epochs", "steps", "recipe"]);
        }
        else if (s_experiment.Contains(name))
        {
            target = node;
            key = Canonical(name, s_experiment);
        }
        else
        {
            target = node["transfer"]!.AsObject();
            key = Canonical(name, TransferDials);
        }
        // "auto" unsets a dial whose empty value means a rule (inputSize: the input-size rule), so a sweep can say inputSize=auto,224.
        target[key] = s_autoWhenUnset.Contains(key) && value.Trim().Equals("auto", StringComparison.OrdinalIgnoreCase) ? null : Parse(value);
        try
        {
            return node.Deserialize<ExperimentSpec>(WebLabJson.Options)!;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new BadInputException($"'{value}' is not a valid value for {name}.");
        }
    }

    private static string Canonical(string name, IEnumerable<string> known) =>
        known.FirstOrDefault(k => k.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new BadInputException($"Unknown setting '{name}'. Known: {string.Join(", ", known)}.");

    private static JsonNode? Parse(string value)
    {
        var v = value.Trim();
        if (v is "all" or "none" or "null" or "")
            return null;
        if (v is "true" or "false")
            return JsonValue.Create(v == "true");
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            return number == Math.Floor(number) && Math.Abs(number) < int.MaxValue && !v.Contains('.') && !v.Contains('e', StringComparison.OrdinalIgnoreCase)
                ? JsonValue.Create((int)number)
                : JsonValue.Create(number);
        if (v.StartsWith('{') || v.StartsWith('['))
            return JsonNode.Parse(v);
        return JsonValue.Create(v);
    }
}
