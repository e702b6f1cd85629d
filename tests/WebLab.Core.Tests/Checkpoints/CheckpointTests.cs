using System.Text.Json;
using TorchSharp;
using WebLab.Checkpoints;
using WebLab.Models;
using WebLab.Tests.Models;
using static TorchSharp.torch;

namespace WebLab.Tests.Checkpoints;

public class CheckpointTests
{
    private static CheckpointInfo Info(BlockModel model) =>
        new(model.Spec.Architecture, model.Spec.InputSize, model.Spec.InChannels,
            Enumerable.Range(0, model.Spec.NumClasses).Select(i => $"class {i}").ToArray(), [0.3f], [0.2f], Name: "test", SourceDataset: "toy");

    [Fact]
    public void SaveLoad_RoundTrip_GivesBitIdenticalPredictions()
    {
        using var dir = new TempDir();
        torch.manual_seed(3);
        using var model = Architectures.Create(new ModelSpec("resnet8", 4, 1, 28));
        // Give BatchNorm non-trivial running statistics.
        model.train();
        using (torch.no_grad())
            model.call(torch.randn(16, 1, 28, 28) * 2 + 1).Dispose();
        model.eval();
        using var x = torch.randn(5, 1, 28, 28);
        using var expected = model.call(x);
        var path = dir.File("m" + Checkpoint.Extension);
        Checkpoint.Save(path, model, Info(model));

        var info = Checkpoint.ReadInfo(path);
        Assert.Equal("resnet8", info.Architecture);
        Assert.Equal("class 3", info.ClassNames[3]);
        Assert.NotNull(info.Created);
        using var loaded = Checkpoint.Load(path);
        using var actual = loaded.Model.call(x);
        Assert.True(Tensors.Same(expected, actual));
        Assert.False(File.Exists(path + ".tmp-" + Environment.ProcessId));
    }

    [Fact]
    public void Import_TorchvisionLayout_MatchesPyTorchLogits()
    {
        using var dir = new TempDir();
        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "torchvision-resnet.json")));
        foreach (var architecture in new[] { "resnet18", "resnet50" })
        {
            var keys = ResNetTests.TorchvisionKeys(architecture);
            var tensors = keys.Select((k, t) => (k.Key, TorchvisionFormula.Value(k.Key, k.Shape, t))).ToList();
            var file = dir.File($"{architecture}.safetensors");
            SafeTensors.Write(file, tensors);
            foreach (var (_, tensor) in tensors)
                tensor.Dispose();

            var checkpoint = dir.File($"{architecture}{Checkpoint.Extension}");
            var info = CheckpointImporter.Import(file, checkpoint, new ImportOptions(architecture, 224, SourceDataset: "imagenet-1k"));
            Assert.Equal(1000, info.NumClasses);
            Assert.Equal(CheckpointInfo.ImageNetMean, info.Mean);
            using var loaded = Checkpoint.Load(checkpoint);
            using var x = TorchvisionFormula.Input([2, 3, 64, 64]);
            using var logits = loaded.Model.call(x);

            var expected = fixture.RootElement.GetProperty("models").GetProperty(architecture);
            var head = expected.GetProperty("logitsHead").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
            for (int row = 0; row < 2; row++)
            {
                double scale = head[row].Max(Math.Abs);
                for (int col = 0; col < 16; col++)
                    Assert.True(Math.Abs(logits[row, col].item<float>() - head[row][col]) <= 1e-4 * scale + 1e-4,
                        $"{architecture} logit [{row},{col}] = {logits[row, col].item<float>()} vs PyTorch {head[row][col]}");
            }
            var argmax = expected.GetProperty("argmax").EnumerateArray().Select(v => v.GetInt64()).ToArray();
            Assert.Equal(argmax, logits.argmax(1).data<long>().ToArray());
        }
    }

    [Fact]
    public void Import_Float16AndBFloat16_AreConverted()
    {
        using var dir = new TempDir();
        torch.manual_seed(1);
        using var model = Architectures.Create(new ModelSpec("resnet8", 3, 3, 32));
        foreach (var dtype in new[] { ScalarType.Float16, ScalarType.BFloat16 })
        {
            var file = dir.File($"half-{dtype}.safetensors");
            SafeTensors.Write(file, model.state_dict().Select(kv => (kv.Key, kv.Value.dtype == ScalarType.Float32 ? kv.Value.to(dtype) : kv.Value)).ToList());
            var output = dir.File($"half-{dtype}{Checkpoint.Extension}");
            CheckpointImporter.Import(file, output, new ImportOptions("resnet8", 32));
            using var loaded = Checkpoint.Load(output);
            var original = model.state_dict()["layer1.0.conv1.weight"];
            var imported = loaded.Model.state_dict()["layer1.0.conv1.weight"];
            Assert.Equal(ScalarType.Float32, imported.dtype);
            Assert.True(imported.allclose(original, rtol: 1e-2, atol: 1e-2));
        }
    }

    [Fact]
    public void Import_NamesMissingExtraAndMisShapedKeys()
    {
        using var dir = new TempDir();
        using var model = Architectures.Create(new ModelSpec("resnet8", 3, 1, 28));
        var state = model.state_dict().Select(kv => (kv.Key, kv.Value)).ToList();

        string Fail(List<(string, Tensor)> tensors)
        {
            var file = dir.File("bad.safetensors");
            SafeTensors.Write(file, tensors);
            return Assert.Throws<BadInputException>(() => CheckpointImporter.Import(file, dir.File("bad.weblab"), new ImportOptions("resnet8", 28))).Message;
        }

        Assert.Contains("are missing, e.g. 'layer2.0.bn1.bias'", Fail(state.Where(s => s.Key != "layer2.0.bn1.bias").ToList()));
        Assert.Contains("do not belong to a resnet8 model, e.g. 'layer9.weight'", Fail([.. state, ("layer9.weight", torch.zeros(2))]));
        Assert.Contains("weight 'layer1.0.conv2.weight' has shape [16, 16, 5, 5] in the file but the model expects [16, 16, 3, 3]",
            Fail(state.Select(s => s.Key == "layer1.0.conv2.weight" ? (s.Key, torch.zeros(16, 16, 5, 5)) : s).ToList()));
        Assert.Contains("no 2-D 'fc.weight'", Fail(state.Where(s => !s.Key.StartsWith("fc.", StringComparison.Ordinal)).ToList()));
        Assert.False(File.Exists(dir.File("bad.weblab")));
    }

    [Fact]
    public void Import_IgnoresNumBatchesTracked()
    {
        using var dir = new TempDir();
        using var model = Architectures.Create(new ModelSpec("resnet8", 3, 1, 28));
        var file = dir.File("nbt.safetensors");
        SafeTensors.Write(file, model.state_dict().Where(kv => !kv.Key.EndsWith("num_batches_tracked", StringComparison.Ordinal)).Select(kv => (kv.Key, kv.Value)).ToList());
        CheckpointImporter.Import(file, dir.File("nbt.weblab"), new ImportOptions("resnet8", 28));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'P', (byte)'K', 3, 4, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20 })]
    public void Import_RefusesPickleCheckpoints_WithConversionAdvice(byte[] head)
    {
        using var dir = new TempDir();
        var path = dir.File("model.pth");
        File.WriteAllBytes(path, head);
        var error = Assert.Throws<BadInputException>(() => CheckpointImporter.Import(path, dir.File("x.weblab"), new ImportOptions("resnet18", 224)));
        Assert.StartsWith("model.pth is a PyTorch pickle checkpoint; pickle files can run arbitrary code", error.Message);
        Assert.Contains("save_file(", error.Message);
    }

    [Fact]
    public void Load_PlainSafetensors_AsksForImport()
    {
        using var dir = new TempDir();
        using var model = Architectures.Create(new ModelSpec("resnet8", 3, 1, 28));
        var file = dir.File("plain.safetensors");
        SafeTensors.Write(file, model.state_dict().Select(kv => (kv.Key, kv.Value)).ToList());
        Assert.Contains("without WebLab metadata; import it first", Assert.Throws<BadInputException>(() => Checkpoint.Load(file)).Message);
    }

    [Fact]
    public void Export_ThenImport_GivesSamePredictions()
    {
        using var dir = new TempDir();
        torch.manual_seed(5);
        using var model = Architectures.Create(new ModelSpec("resnet8", 4, 1, 28));
        model.eval();
        var checkpoint = dir.File("a.weblab");
        Checkpoint.Save(checkpoint, model, Info(model));
        var exported = dir.File("a.safetensors");
        Checkpoint.ExportSafeTensors(checkpoint, exported);
        using (var plain = SafeTensors.Open(exported))
            Assert.DoesNotContain("weblab.info", plain.Metadata.Keys);
        CheckpointImporter.Import(exported, dir.File("b.weblab"), new ImportOptions("resnet8", 28, Mean: [0.3f], Std: [0.2f]));
        using var reloaded = Checkpoint.Load(dir.File("b.weblab"));
        using var x = torch.randn(3, 1, 28, 28);
        Assert.True(Tensors.Same(model.call(x), reloaded.Model.call(x)));
    }
}

/// <summary>The deterministic weights and input of Fixtures/make_torchvision_fixture.py.</summary>
public static class TorchvisionFormula
{
    public static Tensor Value(string name, long[] shape, int t)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            return torch.zeros(shape, ScalarType.Int64);
        var values = new float[n];
        for (long j = 0; j < n; j++)
        {
            double s = Math.Sin(0.7 * j + 1.3 * t);
            double v = name.EndsWith("running_mean", StringComparison.Ordinal) ? 0.1 * s
                : name.EndsWith("running_var", StringComparison.Ordinal) ? 1 + 0.25 * (1 + s)
                : name.EndsWith("weight", StringComparison.Ordinal) && shape.Length == 1 ? 1 + 0.1 * s
                : name.EndsWith("bias", StringComparison.Ordinal) ? 0.1 * s
                : s / Math.Sqrt(n / shape[0]);
            values[j] = (float)v;
        }
        return torch.tensor(values, shape);
    }

    public static Tensor Input(long[] shape)
    {
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var values = new float[n];
        for (long j = 0; j < n; j++)
            values[j] = (float)Math.Sin(0.3 * j);
        return torch.tensor(values, shape);
    }
}
