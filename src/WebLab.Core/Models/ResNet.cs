using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace WebLab.Models;

/// <summary>Residual block type: two 3x3 convolutions, or 1x1-3x3-1x1 with 4x expansion.</summary>
public enum ResidualBlock
{
    Basic,
    Bottleneck,
}

/// <summary>Input stem: torchvision's 7x7/2 convolution + 3x3/2 max-pool, or a 3x3/1 convolution for small images.</summary>
public enum StemKind
{
    ImageNet,
    Small,
}

/// <summary>Shape of a ResNet: a member of the ResNet family.</summary>
public sealed record ResNetShape(ResidualBlock Block, int[] Layers, int[] Widths, StemKind Stem) : IModelFamily
{
    public int Expansion => Block == ResidualBlock.Bottleneck ? 4 : 1;

    public BlockModel Create(ModelSpec spec) => new ResNet(spec, this);

    public string InputWeightKey => "conv1.weight";

    public HeadKeys Head { get; } = new($"{ResNet.HeadName}.weight", $"{ResNet.HeadName}.bias");
}

/// <summary>
/// A ResNet whose module names equal torchvision's state-dict keys (conv1, bn1, layer1.0.conv1, ...,
/// layer2.0.downsample.0, fc), so torchvision weights load 1:1. Any input size, channel count and classes; 0 classes
/// builds it without a head (a feature extractor, e.g. a source published without its classifier).
/// </summary>
public sealed class ResNet : BlockModel
{
    /// <summary>torchvision's name of the head module.</summary>
    internal const string HeadName = "fc";

    private readonly Module<Tensor, Tensor> _conv1;
    private readonly Module<Tensor, Tensor> _bn1;
    private readonly Module<Tensor, Tensor>[] _layers;
    private readonly LinearLayer? _fc;
    private readonly int[] _featureWidths;
    private readonly ModelBlock[] _blocks;

    public ResNet(ModelSpec spec, ResNetShape shape) : base("ResNet", spec, shape)
    {
        int stages = spec.HeadStage ?? shape.Layers.Length;
        if (stages < 1 || stages > shape.Layers.Length)
            throw new BadInputException($"{spec.Architecture} has {shape.Layers.Length} stages; a head after stage {stages} is impossible.");
        Shape = shape;
        Stages = stages;

        int stemWidth = shape.Widths[0];
        _conv1 = shape.Stem == StemKind.ImageNet
            ? new Conv2dLayer(spec.InChannels, stemWidth, 7, stride: 2, padding: 3, bias: false)
            : new Conv2dLayer(spec.InChannels, stemWidth, 3, stride: 1, padding: 1, bias: false);
        _bn1 = BatchNorm2d(stemWidth);
        register_module("conv1", _conv1);
        register_module("bn1", _bn1);

        _layers = new Module<Tensor, Tensor>[stages];
        _featureWidths = new int[stages];
        int inPlanes = stemWidth;
        for (int s = 0; s < stages; s++)
        {
            var layer = Sequential();
            int planes = shape.Widths[s];
            for (int b = 0; b < shape.Layers[s]; b++)
            {
                int stride = b == 0 && s > 0 ? 2 : 1;
                Module<Tensor, Tensor>? downsample = null;
                if (stride != 1 || inPlanes != planes * shape.Expansion)
                {
                    downsample = Sequential(
                        new Conv2dLayer(inPlanes, planes * shape.Expansion, 1, stride: stride, bias: false),
                        BatchNorm2d(planes * shape.Expansion));
                }
                layer.append(shape.Block == ResidualBlock.Basic
                    ? new BasicBlock(inPlanes, planes, stride, downsample)
                    : new Bottleneck(inPlanes, planes, stride, downsample));
                inPlanes = planes * shape.Expansion;
            }
            _layers[s] = layer;
            _featureWidths[s] = inPlanes;
            register_module($"layer{s + 1}", layer);
        }
        if (spec.NumClasses > 0)
        {
            _fc = new LinearLayer(inPlanes, spec.NumClasses);
            register_module(HeadName, _fc);
        }

        var blocks = new List<ModelBlock> { new("stem", 0, BlockRole.Stem, ["conv1.", "bn1."]) };
        for (int s = 0; s < stages; s++)
            blocks.Add(new ModelBlock($"layer{s + 1}", s + 1, BlockRole.Stage, [$"layer{s + 1}."]));
        if (_fc is not null)
            blocks.Add(new ModelBlock("head", stages + 1, BlockRole.Head, [HeadName + "."]));
        _blocks = [.. blocks];
        ResetParameters();
    }

    public ResNetShape Shape { get; }

    public override int Stages { get; }

    public override IReadOnlyList<ModelBlock> Blocks => _blocks;

    public override int FeatureWidth(int stage) => _featureWidths[stage - 1];

    /// <summary>torchvision's initialisation: Kaiming-normal (fan-out) convolutions, BN weight 1 and bias 0.</summary>
    public void ResetParameters()
    {
        using var _ = torch.no_grad();
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case Conv2dLayer conv:
                    init.kaiming_normal_(conv.Weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    break;
                case TorchSharp.Modules.BatchNorm2d bn:
                    init.ones_(bn.weight);
                    init.zeros_(bn.bias);
                    bn.reset_running_stats();
                    break;
                case LinearLayer linear:
                    linear.ResetParameters();
                    break;
            }
        }
    }

    public override Tensor Features(Tensor input, int? stages = null)
    {
        int upTo = stages ?? Stages;
        if (upTo < 1 || upTo > Stages)
            throw new ArgumentOutOfRangeException(nameof(stages), $"1..{Stages}");
        using var scope = torch.NewDisposeScope();
        var x = _bn1.call(_conv1.call(input)).relu_();
        if (Shape.Stem == StemKind.ImageNet)
            x = nn.functional.max_pool2d(x, 3, stride: 2, padding: 1);
        for (int s = 0; s < upTo; s++)
            x = _layers[s].call(x);
        return x.mean([2L, 3L]).MoveToOuterDisposeScope();
    }

    public override Tensor Classify(Tensor features) =>
        _fc?.call(features) ?? throw new InvalidOperationException($"this {Spec.Architecture} has no classifier head (built with 0 classes)");

    private sealed class BasicBlock : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> _conv1, _bn1, _conv2, _bn2;
        private readonly Module<Tensor, Tensor>? _downsample;

        public BasicBlock(int inPlanes, int planes, int stride, Module<Tensor, Tensor>? downsample) : base("BasicBlock")
        {
            _conv1 = new Conv2dLayer(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
            _bn1 = BatchNorm2d(planes);
            _conv2 = new Conv2dLayer(planes, planes, 3, stride: 1, padding: 1, bias: false);
            _bn2 = BatchNorm2d(planes);
            _downsample = downsample;
            register_module("conv1", _conv1);
            register_module("bn1", _bn1);
            register_module("conv2", _conv2);
            register_module("bn2", _bn2);
            if (downsample is not null)
                register_module("downsample", downsample);
        }

        public override Tensor forward(Tensor input)
        {
            var x = _bn1.call(_conv1.call(input)).relu_();
            x = _bn2.call(_conv2.call(x));
            var identity = _downsample is null ? input : _downsample.call(input);
            return x.add_(identity).relu_();
        }
    }

    private sealed class Bottleneck : Module<Tensor, Tensor>
    {
        private readonly Module<Tensor, Tensor> _conv1, _bn1, _conv2, _bn2, _conv3, _bn3;
        private readonly Module<Tensor, Tensor>? _downsample;

        public Bottleneck(int inPlanes, int planes, int stride, Module<Tensor, Tensor>? downsample) : base("Bottleneck")
        {
            _conv1 = new Conv2dLayer(inPlanes, planes, 1, bias: false);
            _bn1 = BatchNorm2d(planes);
            _conv2 = new Conv2dLayer(planes, planes, 3, stride: stride, padding: 1, bias: false);
            _bn2 = BatchNorm2d(planes);
            _conv3 = new Conv2dLayer(planes, planes * 4, 1, bias: false);
            _bn3 = BatchNorm2d(planes * 4);
            _downsample = downsample;
            register_module("conv1", _conv1);
            register_module("bn1", _bn1);
            register_module("conv2", _conv2);
            register_module("bn2", _bn2);
            register_module("conv3", _conv3);
            register_module("bn3", _bn3);
            if (downsample is not null)
                register_module("downsample", downsample);
        }

        public override Tensor forward(Tensor input)
        {
            var x = _bn1.call(_conv1.call(input)).relu_();
            x = _bn2.call(_conv2.call(x)).relu_();
            x = _bn3.call(_conv3.call(x));
            var identity = _downsample is null ? input : _downsample.call(input);
            return x.add_(identity).relu_();
        }
    }
}
