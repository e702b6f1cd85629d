using TorchSharp;
using WebLab.Checkpoints;
using WebLab.Data;
using WebLab.Runtime;
using static TorchSharp.torch;

namespace WebLab.Training;

/// <summary>
/// A checkpoint's pooled penultimate features for images (decode, resize and centre-crop, the checkpoint's input
/// encoding, the model up to its global pool): what a head or a probe sees. Works with or without a classifier head.
/// </summary>
public sealed class Embedder : IDisposable
{
    private readonly LoadedCheckpoint _checkpoint;
    private readonly Device _device;
    private readonly ImageTransform _transform;

    public Embedder(string checkpointPath, string device = "auto")
    {
        TorchRuntime.Initialize();
        _device = TorchRuntime.ResolveDevice(device);
        _checkpoint = Checkpoint.Load(checkpointPath, _device);
        _transform = ImageTransform.For(_checkpoint, Augmentation.Off);
    }

    public CheckpointInfo Info => _checkpoint.Info;

    /// <summary>Features of one encoded image (JPEG, PNG, BMP, WebP): the head's input width (512 for a ResNet-18).</summary>
    public float[] Embed(byte[] encodedImage, string name)
    {
        int tile = ImageTransform.CacheSizeFor(Info.InputSize);
        var pixels = new byte[3 * tile * tile];
        ImageDecoder.DecodeTile(encodedImage, name, tile, pixels);
        using var scope = torch.NewDisposeScope();
        var tiles = torch.tensor(pixels, [1, 3, tile, tile], ScalarType.Byte);
        return Embed(tiles)[0];
    }

    /// <summary>Features of each uint8 tile [B, C, S, S].</summary>
    public float[][] Embed(Tensor tiles)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var features = _checkpoint.Model.Features(_transform.Apply(tiles, null).to(_device)).cpu().contiguous();
        int width = (int)features.shape[1];
        var values = features.data<float>().ToArray();
        return [.. Enumerable.Range(0, (int)features.shape[0]).Select(row => values.AsSpan(row * width, width).ToArray())];
    }

    public void Dispose() => _checkpoint.Dispose();
}
