using WebLab.Data;

namespace WebLab.Tests;

/// <summary>
/// Fashion-MNIST, loaded once per test run from the Debian package or the download cache (the test set-up,
/// tests/prerequisites.sh, installs dataset-fashion-mnist when it is missing).
/// </summary>
public sealed class FashionMnist : IDisposable
{
    private readonly Lazy<LoadedDataset> _dataset = new(() => DatasetLoader.Load("fashion-mnist", new DatasetLoadOptions(Files: new DatasetFileOptions(AllowDownload: false))));

    private readonly Lazy<string> _source;
    private readonly TempDir _dir = new();

    public FashionMnist()
    {
        // A small source model (classes 0-4, 100 images per class, 2 epochs: a few seconds), shared by the experiment tests.
        _source = new Lazy<string>(() =>
        {
            var path = _dir.File("source.weblab");
            WebLab.Training.Pretrainer.Run(new WebLab.Training.PretrainSpec("fashion-mnist", ["0", "1", "2", "3", "4"], "resnet8", path, Epochs: 2, BatchSize: 64,
                PerClass: 100, Device: "cpu"), files: new DatasetFileOptions(AllowDownload: false));
            return path;
        });
    }

    public LoadedDataset Dataset => _dataset.Value;

    /// <summary>Path of the shared source checkpoint.</summary>
    public string Source => _source.Value;

    public void Dispose()
    {
        if (_dataset.IsValueCreated)
            _dataset.Value.Dispose();
        _dir.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class FashionMnistGroup : ICollectionFixture<FashionMnist>
{
    public const string Name = "fashion-mnist";
}
