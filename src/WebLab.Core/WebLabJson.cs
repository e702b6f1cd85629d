using System.Text.Json;
using System.Text.Json.Serialization;

namespace WebLab;

/// <summary>The JSON conventions of every WebLab document: camelCase, enums as kebab-case strings, nulls omitted.</summary>
public static class WebLabJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    /// <summary><see cref="Options"/> on one line (JSON lines, network messages).</summary>
    public static JsonSerializerOptions Compact { get; } = new(Options) { WriteIndented = false };

    /// <summary>Serialises with <see cref="Options"/>.</summary>
    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>Deserialises with <see cref="Options"/>; malformed input is a <see cref="BadInputException"/> naming <paramref name="origin"/>.</summary>
    public static T Deserialize<T>(string json, string origin)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options) ?? throw new BadInputException($"{origin}: empty JSON document.");
        }
        catch (JsonException e)
        {
            throw new BadInputException($"{origin}: invalid JSON ({e.Message}).", e);
        }
    }
}
