using TorchSharp;
using WebLab.Checkpoints;
using WebLab.Data;
using WebLab.Runtime;
using static TorchSharp.torch;

namespace WebLab.Training;

/// <summary>
/// A checkpoint loaded for inference on single images: what <see cref="Predictor"/> and <see cref="Embedder"/> share
/// (the device, the model, and the checkpoint's own decode, crop and input encoding).
/// </summary>
internal sealed class ImageModel : IDisposable
{
    private readonly ImageTransform _transform;

    public ImageModel(string checkpointPath, string device)
    {
        TorchRuntime.Initialize();
        Device = TorchRuntime.ResolveDevice(device);
        Checkpoint = Checkpoints.Checkpoint.Load(checkpointPath, Device);
        _transform = ImageTransform.For(Checkpoint, Augmentation.Off);
    }

    public Device Device { get; }

    public LoadedCheckpoint Checkpoint { get; }

    public CheckpointInfo Info => Checkpoint.Info;

    /// <summary>One encoded image (JPEG, PNG, BMP, WebP) as a uint8 tile [1, C, S, S], in the caller's dispose scope.</summary>
    public Tensor Tile(byte[] encodedImage, string name)
    {
        int tile = ImageTransform.CacheSizeFor(Info.InputSize);
        var pixels = new byte[3 * tile * tile];
        ImageDecoder.DecodeTile(encodedImage, name, tile, pixels);
        return torch.tensor(pixels, [1, 3, tile, tile], ScalarType.Byte);
    }

    /// <summary>uint8 tiles [B, C, S, S] as the model's input on its device (in the caller's dispose scope).</summary>
    public Tensor Input(Tensor tiles) => _transform.Apply(tiles, null).to(Device);

    public void Dispose() => Checkpoint.Dispose();
}
