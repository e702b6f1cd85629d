using TorchSharp;
using WebLab.Checkpoints;
using static TorchSharp.torch;

namespace WebLab.Training;

/// <summary>One class and its probability.</summary>
public sealed record ClassScore(int Index, string Name, double Probability);

/// <summary>Classifies images with a checkpoint (decode, resize and centre-crop, normalise, softmax).</summary>
public sealed class Predictor : IDisposable
{
    private readonly ImageModel _model;

    public Predictor(string checkpointPath, string device = "auto")
    {
        _model = new ImageModel(checkpointPath, device);
        if (!_model.Info.HasHead)
        {
            _model.Dispose();
            throw new BadInputException($"{Path.GetFileName(checkpointPath)} has no classifier head, so it cannot name classes; " +
                                        "use it as a source, or see its features with weblab embed.");
        }
    }

    public CheckpointInfo Info => _model.Info;

    /// <summary>Top-<paramref name="k"/> classes for an encoded image (JPEG, PNG, BMP, WebP).</summary>
    public IReadOnlyList<ClassScore> Predict(byte[] encodedImage, string name, int k = 5)
    {
        using var scope = torch.NewDisposeScope();
        return Predict(_model.Tile(encodedImage, name), k)[0];
    }

    /// <summary>Top-<paramref name="k"/> classes for each uint8 tile [B, C, S, S].</summary>
    public IReadOnlyList<IReadOnlyList<ClassScore>> Predict(Tensor tiles, int k = 5)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var probabilities = nn.functional.softmax(_model.Checkpoint.Model.call(_model.Input(tiles)), 1).cpu();
        int top = Math.Min(k, Info.NumClasses);
        var (values, indices) = probabilities.topk(top, dim: 1);
        // data<T>() reads the whole (contiguous) result; row views would need a copy each.
        var v = values.contiguous().data<float>().ToArray();
        var i = indices.contiguous().data<long>().ToArray();
        var result = new List<IReadOnlyList<ClassScore>>();
        for (int row = 0; row < values.shape[0]; row++)
        {
            result.Add(Enumerable.Range(row * top, top)
                .Select(j => new ClassScore((int)i[j], Info.ClassNames[(int)i[j]], v[j])).ToArray());
        }
        return result;
    }

    public void Dispose() => _model.Dispose();
}
