using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using WebLab.Checkpoints;
using WebLab.Checkpoints.Zoo;
using WebLab.Data;
using WebLab.Models;
using WebLab.Transfer;
using Xunit.Abstractions;

namespace WebLab.Tests.Checkpoints.Zoo;

public class ModelZooTests(ZooFixture zoo, ITestOutputHelper output) : IClassFixture<ZooFixture>
{
    private const int Size = 224;

    [Fact]
    public void Install_WritesAHeadlessBgrCheckpointWithItsMeanImage()
    {
        Assert.Equal("resnet18-cntk", zoo.Info.Architecture);
        Assert.False(zoo.Info.HasHead);
        Assert.Equal(new InputEncoding(ChannelOrder.Bgr, 255, MeanImage: true), zoo.Info.Encoding);
        Assert.Equal("imagenet-1k", zoo.Info.SourceDataset);
        using var loaded = Checkpoint.Load(zoo.Path);
        Assert.Equal([3L, Size, Size], loaded.MeanImage!.shape);
        Assert.False(loaded.Model.HasHead);
        Assert.DoesNotContain(loaded.Model.Blocks, b => b.Role == BlockRole.Head);
        Assert.Equal(512, loaded.Model.HeadInFeatures);
        Assert.Contains("no classifier head", Assert.Throws<BadInputException>(() => new global::WebLab.Training.Predictor(zoo.Path, "cpu")).Message);
    }

    [Fact]
    public void Features_MatchOnnxRuntime_OnTheSameImages()
    {
        using var images = ColourShapes.Make(perClass: 1, Size, seed: 7);
        using var loaded = Checkpoint.Load(zoo.Path);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var input = ImageTransform.For(loaded, Augmentation.Off).Apply(images.ReadRange(0, images.Count), null);
        var ours = loaded.Model.Features(input);

        using var preprocess = new InferenceSession(zoo.OnnxFile("ResNetPreprocess.onnx"));
        using var resnet = new InferenceSession(zoo.OnnxFile("ResNet18.onnx"));
        for (int i = 0; i < images.Count; i++)
        {
            // ML.NET feeds its preprocessing graph RGB pixels as extracted: 0-255 floats.
            var rgb = images.Read([i])[0].to(torch.ScalarType.Float32).contiguous().data<float>().ToArray();
            var prepared = Run(preprocess, rgb);
            var reference = Run(resnet, prepared);
            double inputError = MaxAbs(input[i].contiguous().data<float>().ToArray(), prepared);
            double featureError = MaxAbs(ours[i].contiguous().data<float>().ToArray(), reference) / reference.Max(Math.Abs);
            output.WriteLine($"image {i}: input max |diff| {inputError:E2} (0-255 scale); features max |diff| / max |feature| {featureError:E2}");
            Assert.True(inputError < 1e-3, $"image {i}: the input encoding differs from ResNetPreprocess.onnx by {inputError}");
            Assert.True(featureError < 1e-4, $"image {i}: pooled features differ from ONNX Runtime's by {featureError:E2} (relative)");
        }
    }

    [Fact]
    public void FrozenFeatures_ProbeFarAboveRandomInit_OnTheEmojiTarget()
    {
        // emoji-nature draws its images interleaved by class: the first 10 x 7 are 10 per class, the next 4 x 7 are 4 per class.
        // Drawn at 112 px (a quarter of the drawing time) and resized to 224 by the transform, as any smaller image is.
        using var emoji = DatasetLoader.Load("emoji-nature", new DatasetLoadOptions(ImageSize: Size / 2, Files: new DatasetFileOptions(AllowDownload: false)));
        int classes = emoji.ClassNames.Count;
        using var train = emoji.Train.Select([.. Enumerable.Range(0, 10 * classes)]);
        using var test = emoji.Train.Select([.. Enumerable.Range(10 * classes, 4 * classes)]);
        using var loaded = Checkpoint.Load(zoo.Path);
        var transform = ImageTransform.For(loaded, Augmentation.Off);
        double pretrained = ProbeAccuracy(loaded.Model, transform, train, test);
        torch.manual_seed(0);
        using var random = Architectures.Create(loaded.Info.ModelSpec);
        double scratch = ProbeAccuracy(random, transform, train, test);
        output.WriteLine($"linear probe on emoji-nature ({classes} subgroups, 10 training and 4 test images each): " +
                         $"ImageNet features {pretrained:P1}, random-init features {scratch:P1}");
        Assert.True(pretrained >= scratch + 0.3, $"ImageNet features {pretrained:P1} vs random init {scratch:P1}");
    }

    [Fact]
    public void Reading_AGraphThatIsNotAResNet_SaysWhatIsWrong()
    {
        var graph = OnnxGraph.Read(zoo.OnnxFile("ResNetPreprocess.onnx"));
        var error = Assert.Throws<BadInputException>(() => OnnxResNet.Read(graph, ResNetShapeOf("resnet18-cntk"), Size));
        Assert.Contains("is not part of a headless ResNet", error.Message);

        using var dir = new TempDir();
        var junk = dir.File("junk.onnx");
        File.WriteAllBytes(junk, [1, 2, 3, 4, 5, 6, 7, 8]);
        Assert.Contains("junk.onnx", Assert.Throws<BadInputException>(() => OnnxGraph.Read(junk)).Message);
    }

    [Fact]
    public void Reading_WithTheWrongBlockCount_FailsLoudly()
    {
        // torchvision's ResNet-18 has two blocks in its last stage; ML.NET's file has three: the walk must notice.
        var graph = OnnxGraph.Read(zoo.OnnxFile("ResNet18.onnx"));
        var error = Assert.Throws<BadInputException>(() => OnnxResNet.Read(graph, ResNetShapeOf("resnet18"), Size));
        Assert.Contains("AveragePool", error.Message);
    }

    [Fact]
    public void Install_UnknownModel_NamesTheKnownOnes()
    {
        var error = Assert.Throws<BadInputException>(() => ModelZoo.Install("resnet9000", "x.weblab"));
        Assert.Contains(ModelZoo.ResNet18ImageNet, error.Message);
    }

    private static ResNetShape ResNetShapeOf(string architecture) => (ResNetShape)Architectures.Get(architecture).Family;

    private static double ProbeAccuracy(BlockModel model, ImageTransform transform, LabeledImages train, LabeledImages test)
    {
        using var trainFeatures = LinearProbe.Features(model, train, transform, torch.CPU);
        using var testFeatures = LinearProbe.Features(model, test, transform, torch.CPU);
        var fit = LinearProbe.Fit(trainFeatures, train.Labels, train.ClassNames.Count);
        return fit.Accuracy(testFeatures, test.Labels);
    }

    private static float[] Run(InferenceSession session, float[] chw)
    {
        var tensor = new DenseTensor<float>(chw, [1, 3, Size, Size]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), tensor)]);
        return [.. results.Single().AsEnumerable<float>()];
    }

    private static double MaxAbs(float[] a, float[] b)
    {
        Assert.Equal(b.Length, a.Length);
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
    }
}
