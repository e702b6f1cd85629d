using WebLab.Data;

namespace WebLab.Tests;

/// <summary>
/// Fashion-MNIST, loaded once per test run from the Debian package or the download cache (the test set-up,
/// tests/prerequisites.sh, installs dataset-fashion-mnist when it is missing).
/// </summary>
public sealed class FashionMnist : IDisposable
{
    private readonly Lazy<LoadedDataset> _dataset = new(() => DatasetLoader.Load("fashion-mnist", new DatasetLoadOptions(Files: new DatasetFileOptions(AllowDownload: false))));

    public LoadedDataset Dataset => _dataset.Value;

    public void Dispose()
    {
        if (_dataset.IsValueCreated)
            _dataset.Value.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class FashionMnistGroup : ICollectionFixture<FashionMnist>
{
    public const string Name = "fashion-mnist";
}
