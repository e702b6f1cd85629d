using WebLab.Checkpoints;
using WebLab.Checkpoints.Zoo;

namespace WebLab.Tests.Checkpoints.Zoo;

/// <summary>resnet18-imagenet installed once per test class (about 4 s) into a temporary folder.</summary>
public sealed class ZooFixture : IDisposable
{
    private readonly TempDir _dir = new();

    public ZooFixture()
    {
        Path = _dir.File(ModelZoo.ResNet18ImageNet + Checkpoint.Extension);
        Info = ModelZoo.Install(ModelZoo.ResNet18ImageNet, Path);
    }

    public string Path { get; }

    public CheckpointInfo Info { get; }

    public string OnnxFile(string name) => System.IO.Path.Combine(ModelZoo.Get(ModelZoo.ResNet18ImageNet).Folder, name);

    public void Dispose() => _dir.Dispose();
}
