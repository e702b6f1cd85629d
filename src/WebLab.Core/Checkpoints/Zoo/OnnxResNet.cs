using Onnx;
using WebLab.Models;

namespace WebLab.Checkpoints.Zoo;

/// <summary>One weight read from an ONNX file under its torchvision state-dict name.</summary>
internal sealed record NamedWeight(string Name, long[] Shape, float[] Values, string OnnxName);

/// <summary>
/// Reads a ResNet of basic blocks exported to ONNX without its classifier (CNTK's layout: Conv without bias, then
/// BatchNormalization, Relu, a stem max-pool, Add for each residual, a final global AveragePool) into torchvision's
/// names. The graph's data flow decides which weight is which - CNTK writes a stage's shortcut convolution before its
/// main path, so file order alone would swap them - and every node's kernel, stride, padding, epsilon and weight shape
/// is checked against the WebLab architecture it must become: any difference is an error naming the node.
/// </summary>
internal static class OnnxResNet
{
    private static readonly HashSet<string> s_operators = ["Conv", "BatchNormalization", "Relu", "MaxPool", "Add", "AveragePool"];

    /// <summary>BatchNorm2d's epsilon in WebLab (and PyTorch).</summary>
    private const float Epsilon = 1e-5f;

    /// <summary>The weights of <paramref name="graph"/>, named and checked for <paramref name="shape"/> at <paramref name="inputSize"/>.</summary>
    public static IReadOnlyList<NamedWeight> Read(OnnxGraph graph, ResNetShape shape, int inputSize)
    {
        if (shape.Block != ResidualBlock.Basic || shape.Stem != StemKind.ImageNet)
            throw new ArgumentException("only ImageNet-stem ResNets of basic blocks are read from ONNX", nameof(shape));
        var unsupported = graph.Nodes.FirstOrDefault(n => !s_operators.Contains(n.OpType));
        if (unsupported is not null)
            throw new BadInputException($"{graph.Name}: {OnnxGraph.Describe(unsupported)} is not part of a headless ResNet ({string.Join(", ", s_operators)}).");
        var input = CheckedInput(graph, inputSize);

        var walk = new Walk(graph, inputSize);
        var x = walk.ConvBn(input, "conv1", "bn1", kernel: 7, stride: 2);
        x = walk.MaxPool(graph.OnlyConsumer(x, "Relu").Output[0]);
        for (int s = 0; s < shape.Layers.Length; s++)
        {
            for (int b = 0; b < shape.Layers[s]; b++)
                x = walk.BasicBlock(x, $"layer{s + 1}.{b}", stride: b == 0 && s > 0 ? 2 : 1);
        }
        walk.GlobalAveragePool(x);
        return walk.Weights;
    }

    private static string CheckedInput(OnnxGraph graph, int inputSize)
    {
        var initialisers = graph.Model.Graph.Initializer.Select(i => i.Name).ToHashSet();
        var inputs = graph.Model.Graph.Input.Where(i => !initialisers.Contains(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new BadInputException($"{graph.Name}: a ResNet has one image input; this graph has {inputs.Count}.");
        var dims = graph.Shape(inputs[0]);
        if (dims.Length != 4 || dims[1] != 3 || dims[2] != inputSize || dims[3] != inputSize)
            throw new BadInputException($"{graph.Name}: input '{inputs[0].Name}' is [{string.Join(", ", dims)}]; expected [N, 3, {inputSize}, {inputSize}].");
        return inputs[0].Name;
    }

    /// <summary>Follows the graph from the input, tracking the spatial size each node sees.</summary>
    private sealed class Walk(OnnxGraph graph, long inputSize)
    {
        private long _size = inputSize;

        public List<NamedWeight> Weights { get; } = [];

        /// <summary>Conv (no bias) then BatchNormalization; returns the BatchNormalization's output.</summary>
        public string ConvBn(string input, string convName, string bnName, long kernel, long stride)
        {
            var convs = Consumers(input).Where(n => n.OpType == "Conv" && OnnxGraph.Ints(n, "kernel_shape", []).FirstOrDefault() == kernel).ToList();
            if (convs.Count != 1)
                throw new BadInputException($"{graph.Name}: {(convs.Count == 0 ? "no" : convs.Count.ToString())} {kernel}x{kernel} Conv read(s) '{input}' where {convName} should be one.");
            return ConvBn(convs[0], convName, bnName, kernel, stride);
        }

        public string ConvBn(NodeProto conv, string convName, string bnName, long kernel, long stride)
        {
            Expect(conv, "kernel_shape", OnnxGraph.Ints(conv, "kernel_shape", []), [kernel, kernel]);
            Expect(conv, "strides", OnnxGraph.Ints(conv, "strides", [1, 1]), [stride, stride]);
            Expect(conv, "dilations", OnnxGraph.Ints(conv, "dilations", [1, 1]), [1, 1]);
            Expect(conv, "group", [OnnxGraph.Int(conv, "group", 1)], [1]);
            CheckPads(conv, kernel, stride);
            if (conv.Input.Count != 2)
                throw new BadInputException($"{graph.Name}: {OnnxGraph.Describe(conv)} has a bias; torchvision's ResNet convolutions have none.");
            Add($"{convName}.weight", conv.Input[1]);

            var bn = graph.OnlyConsumer(conv.Output[0], "BatchNormalization");
            float epsilon = OnnxGraph.Float(bn, "epsilon", Epsilon);
            if (Math.Abs(epsilon - Epsilon) > 1e-9)
                throw new BadInputException($"{graph.Name}: {OnnxGraph.Describe(bn)} has epsilon {epsilon}; WebLab's BatchNorm uses {Epsilon}.");
            if (bn.Input.Count != 5)
                throw new BadInputException($"{graph.Name}: {OnnxGraph.Describe(bn)} should take scale, bias, mean and variance.");
            Add($"{bnName}.weight", bn.Input[1]);
            Add($"{bnName}.bias", bn.Input[2]);
            Add($"{bnName}.running_mean", bn.Input[3]);
            Add($"{bnName}.running_var", bn.Input[4]);
            _size = (_size + stride - 1) / stride;
            return bn.Output[0];
        }

        public string MaxPool(string input)
        {
            var pool = graph.OnlyConsumer(input, "MaxPool");
            Expect(pool, "kernel_shape", OnnxGraph.Ints(pool, "kernel_shape", []), [3, 3]);
            Expect(pool, "strides", OnnxGraph.Ints(pool, "strides", [1, 1]), [2, 2]);
            if (OnnxGraph.Int(pool, "ceil_mode", 0) != 0)
                throw new BadInputException($"{graph.Name}: {OnnxGraph.Describe(pool)} rounds its output size up (ceil_mode); WebLab's rounds down.");
            CheckPads(pool, 3, 2);
            _size = (_size + 1) / 2;
            return pool.Output[0];
        }

        /// <summary>conv1-bn1-relu-conv2-bn2, plus the input or a 1x1 downsample, then Add and Relu; returns the block's output.</summary>
        public string BasicBlock(string input, string prefix, int stride)
        {
            long inputSize = _size;
            var readers = Consumers(input);
            var downsample = readers.SingleOrDefault(n => n.OpType == "Conv" && OnnxGraph.Ints(n, "kernel_shape", []).FirstOrDefault() == 1);
            var main = ConvBn(input, $"{prefix}.conv1", $"{prefix}.bn1", kernel: 3, stride: stride);
            long outputSize = _size;
            main = ConvBn(graph.OnlyConsumer(graph.OnlyConsumer(main, "Relu").Output[0], "Conv"), $"{prefix}.conv2", $"{prefix}.bn2", 3, 1);
            var add = graph.OnlyConsumer(main, "Add");
            var shortcut = add.Input.Single(i => i != main);
            if (downsample is not null)
            {
                _size = inputSize;
                var projected = ConvBn(downsample, $"{prefix}.downsample.0", $"{prefix}.downsample.1", 1, stride);
                if (shortcut != projected)
                    throw new BadInputException($"{graph.Name}: {OnnxGraph.Describe(add)} of {prefix} does not add its 1x1 downsample.");
            }
            else if (shortcut != input || stride != 1)
            {
                throw new BadInputException($"{graph.Name}: {OnnxGraph.Describe(add)} of {prefix} should add the block's input " +
                                            (stride != 1 ? "through a strided 1x1 downsample." : "unchanged."));
            }
            _size = outputSize;
            return graph.OnlyConsumer(add.Output[0], "Relu").Output[0];
        }

        /// <summary>The AveragePool over the whole last feature map: the pooled features are the graph's output.</summary>
        public void GlobalAveragePool(string input)
        {
            var pool = graph.OnlyConsumer(input, "AveragePool");
            Expect(pool, "kernel_shape", OnnxGraph.Ints(pool, "kernel_shape", []), [_size, _size]);
            Expect(pool, "pads", OnnxGraph.Ints(pool, "pads", [0, 0, 0, 0]), [0, 0, 0, 0]);
            if (graph.Model.Graph.Output.Select(o => o.Name).SingleOrDefault() != pool.Output[0])
                throw new BadInputException($"{graph.Name}: the graph should end at {OnnxGraph.Describe(pool)} (pooled features, no classifier).");
        }

        private void Add(string name, string onnxName)
        {
            var (dims, values) = graph.Floats(onnxName);
            Weights.Add(new NamedWeight(name, dims, values, onnxName));
        }

        private List<NodeProto> Consumers(string value) => graph.Nodes.Where(n => n.Input.Contains(value)).ToList();

        // ONNX pads are [top, left, bottom, right]. CNTK pads SAME_LOWER; WebLab's symmetric padding computes the same for
        // the odd kernels and strides 1-2 checked above (SamePadding). Either padding at this size is accepted; nothing else.
        private void CheckPads(NodeProto node, long kernel, long stride)
        {
            var autoPad = OnnxGraph.Text(node, "auto_pad", "NOTSET");
            if (autoPad is not ("NOTSET" or ""))
                throw new BadInputException($"{graph.Name}: {OnnxGraph.Describe(node)} pads by auto_pad={autoPad}; WebLab reads explicit pads only.");
            var pads = OnnxGraph.Ints(node, "pads", [0, 0, 0, 0]);
            var (before, after) = SamePadding.Of(_size, kernel, stride);
            long symmetric = kernel / 2;
            if (pads.SequenceEqual([symmetric, symmetric, symmetric, symmetric]))
                return;
            Expect(node, "pads", pads, [before, before, after, after]);
            if (!SamePadding.MatchesSymmetric(_size, kernel, stride))
                throw new BadInputException($"{graph.Name}: {OnnxGraph.Describe(node)} pads SAME_LOWER at {_size} px, which symmetric padding cannot reproduce.");
        }

        private void Expect(NodeProto node, string attribute, long[] actual, long[] expected)
        {
            if (!actual.SequenceEqual(expected))
                throw new BadInputException($"{graph.Name}: {OnnxGraph.Describe(node)} has {attribute} [{string.Join(", ", actual)}] at {_size} px; " +
                                            $"the WebLab architecture needs [{string.Join(", ", expected)}] there.");
        }
    }
}
