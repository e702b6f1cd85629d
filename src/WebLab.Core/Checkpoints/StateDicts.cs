using TorchSharp;
using WebLab.Models;

namespace WebLab.Checkpoints;

/// <summary>Copies safetensors weights into a model, checking keys and shapes (torchvision names).</summary>
public static class StateDicts
{
    /// <summary>
    /// Not weights: BatchNorm's step counter (torchvision files carry it, WebLab does not need it) and WebLab's own tensors
    /// ("weblab." keys such as the mean image, which the checkpoint reads itself).
    /// </summary>
    public static bool IsIgnored(string key) =>
        key.EndsWith("num_batches_tracked", StringComparison.Ordinal) || key.StartsWith("weblab.", StringComparison.Ordinal);

    /// <summary>
    /// Loads every parameter and buffer of <paramref name="model"/> accepted by <paramref name="include"/> from
    /// <paramref name="file"/>. Missing, unexpected (when <paramref name="include"/> is null) and mis-shaped keys are
    /// errors naming the key and both shapes.
    /// </summary>
    public static void Load(BlockModel model, SafeTensors file, Func<string, bool>? include = null)
    {
        var state = model.state_dict();
        var wanted = state.Keys.Where(k => !IsIgnored(k) && (include?.Invoke(k) ?? true)).ToList();
        var missing = wanted.Where(k => !file.Tensors.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new BadInputException(
                $"{file.Name}: {missing.Count} weight(s) the {model.Spec.Architecture} model needs are missing, e.g. '{missing[0]}'" +
                (missing.Count > 1 ? $", '{string.Join("', '", missing.Skip(1).Take(3))}'" : "") + ".");
        if (include is null)
        {
            var extra = file.Tensors.Keys.Where(k => !IsIgnored(k) && !state.ContainsKey(k)).ToList();
            if (extra.Count > 0)
                throw new BadInputException(
                    $"{file.Name}: {extra.Count} weight(s) do not belong to a {model.Spec.Architecture} model, e.g. '{extra[0]}'" +
                    (extra.Count > 1 ? $", '{string.Join("', '", extra.Skip(1).Take(3))}'" : "") + ".");
        }
        foreach (var key in wanted)
        {
            var target = state[key];
            var info = file.Tensors[key];
            if (!info.Shape.SequenceEqual(target.shape))
                throw new BadInputException(
                    $"{file.Name}: weight '{key}' has shape [{string.Join(", ", info.Shape)}] in the file but the model expects [{string.Join(", ", target.shape)}].");
        }
        using var _ = torch.no_grad();
        foreach (var key in wanted)
        {
            using var value = file.ReadFloat32(key);
            state[key].copy_(value);
        }
    }
}
