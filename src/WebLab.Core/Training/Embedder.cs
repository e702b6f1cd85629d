using TorchSharp;
using WebLab.Checkpoints;
using static TorchSharp.torch;

namespace WebLab.Training;

/// <summary>
/// A checkpoint's pooled penultimate features for images (decode, resize and centre-crop, the checkpoint's input
/// encoding, the model up to its global pool): what a head or a probe sees. Works with or without a classifier head.
/// </summary>
public sealed class Embedder(string checkpointPath, string device = "auto") : IDisposable
{
    private readonly ImageModel _model = new(checkpointPath, device);

    public CheckpointInfo Info => _model.Info;

    /// <summary>Features of one encoded image (JPEG, PNG, BMP, WebP): the head's input width (512 for a ResNet-18).</summary>
    public float[] Embed(byte[] encodedImage, string name)
    {
        using var scope = torch.NewDisposeScope();
        return Embed(_model.Tile(encodedImage, name))[0];
    }

    /// <summary>Features of each uint8 tile [B, C, S, S].</summary>
    public float[][] Embed(Tensor tiles)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var features = _model.Checkpoint.Model.Features(_model.Input(tiles)).cpu().contiguous();
        int width = (int)features.shape[1];
        var values = features.data<float>().ToArray();
        return [.. Enumerable.Range(0, (int)features.shape[0]).Select(row => values.AsSpan(row * width, width).ToArray())];
    }

    public void Dispose() => _model.Dispose();
}
