using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using TorchSharp;
using WebLab.Checkpoints;
using WebLab.Data;
using WebLab.Models;
using WebLab.Transfer;
using static TorchSharp.torch;

namespace WebLab.Training;

/// <summary>
/// The content key of one random-initialisation run: a SHA-256 over everything that decides what it computes, so two
/// experiments whose scratch runs would be identical share one (<see cref="IScratchRunCache"/>). The data enters by content
/// (pixels, labels, class names, test item ids), never by path; the rest is a canonical JSON description.
/// </summary>
internal static class ScratchRunKey
{
    /// <summary>
    /// Part of every key. Bump it whenever the scratch arm's training, evaluation or <see cref="SeedRun"/> changes meaning
    /// (a new default inside the trainer, another initialisation, more confusion items kept), so old runs are not reused.
    /// </summary>
    public const int Version = 1;

    /// <summary>What the data does not say: the settings as resolved, the model, the transform and the machine's arithmetic.</summary>
    private sealed record Description(
        int Version,
        string Torch,
        string Device,
        int Seed,
        ModelSpec Model,
        IReadOnlyList<BlockPlan> Plan,
        TrainerSettings Settings,
        int InputSize,
        int Channels,
        float[] Mean,
        float[] Std,
        Augmentation Augment,
        InputEncoding? Encoding,
        bool MeanImage);

    /// <summary>The key (64 hex digits) of the scratch run at <paramref name="settings"/>.Seed on <paramref name="splits"/>.</summary>
    public static string Of(DataSplits splits, ModelSpec model, IReadOnlyList<BlockPlan> plan, TrainerSettings settings, ImageTransform transform,
        Device device)
    {
        var resolved = settings with
        {
            // What the trainer will use when the settings leave it open (WEBLAB_ARITHMETIC, the CPU's bf16).
            Arithmetic = settings.Arithmetic ?? Arithmetic.DefaultFor(device),
            // The inherited recipe carries the transfer arm's bssK; with BSS off it changes nothing, so it must not split the key.
            BssK = settings.BssEta == 0 ? 1 : settings.BssK,
        };
        var description = new Description(Version, typeof(torch).Assembly.GetName().Version?.ToString() ?? "?", device.type.ToString(), settings.Seed,
            model, plan, resolved, transform.InputSize, transform.Channels, transform.Mean, transform.Std, transform.Augment, transform.Encoding,
            transform.MeanImage is not null);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(description, WebLabJson.Compact)));
        if (transform.MeanImage is { } meanImage)
        {
            using var cpu = meanImage.to(DeviceType.CPU).contiguous();
            hash.AppendData(FloatBytes(cpu));
        }
        splits.Train.AppendContent(hash, ids: false);
        splits.Val.AppendContent(hash, ids: false);
        // The test set's ids end up in the result (its confusion cells), so they are part of what the run produced.
        splits.Test.AppendContent(hash, ids: true);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static byte[] FloatBytes(Tensor tensor)
    {
        using var asFloat = tensor.to(ScalarType.Float32);
        var values = asFloat.data<float>().ToArray();
        var bytes = new byte[values.Length * sizeof(float)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }
}
