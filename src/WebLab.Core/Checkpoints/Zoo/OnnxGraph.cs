using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace WebLab.Checkpoints.Zoo;

/// <summary>
/// An ONNX model's graph as the converters walk it: nodes in order, who produces and who consumes each value, and the
/// float initialisers. Parsing is OnnxSharp's (ONNX's own protobuf messages); every question about the graph that a
/// converter asks and the graph cannot answer is a <see cref="BadInputException"/> naming the file and the node.
/// </summary>
internal sealed class OnnxGraph
{
    private readonly Dictionary<string, NodeProto> _producers = [];
    private readonly Dictionary<string, List<NodeProto>> _consumers = [];
    private readonly Dictionary<string, TensorProto> _initializers;

    private OnnxGraph(string name, ModelProto model)
    {
        Name = name;
        Model = model;
        _initializers = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var node in model.Graph.Node)
        {
            foreach (var output in node.Output)
                _producers[output] = node;
            foreach (var input in node.Input)
            {
                if (!_consumers.TryGetValue(input, out var list))
                    _consumers[input] = list = [];
                list.Add(node);
            }
        }
    }

    /// <summary>File name, for messages.</summary>
    public string Name { get; }

    public ModelProto Model { get; }

    public IReadOnlyList<NodeProto> Nodes => Model.Graph.Node;

    /// <summary>Parses an ONNX file; a file that is not one is a <see cref="BadInputException"/>.</summary>
    public static OnnxGraph Read(string path)
    {
        var name = Path.GetFileName(path);
        if (!File.Exists(path))
            throw new BadInputException($"{path}: no such file.");
        try
        {
            using var stream = File.OpenRead(path);
            var model = ModelProto.Parser.ParseFrom(stream);
            if (model.Graph is null || model.Graph.Node.Count == 0)
                throw new BadInputException($"{name}: an ONNX model without a graph.");
            return new OnnxGraph(name, model);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new BadInputException($"{name} is not an ONNX model ({e.Message}).", e);
        }
    }

    /// <summary>The graph's one input's or output's static shape.</summary>
    public long[] Shape(ValueInfoProto value) =>
        value.Type?.TensorType?.Shape?.Dim.Select(d => d.DimValue).ToArray()
        ?? throw new BadInputException($"{Name}: '{value.Name}' has no tensor shape.");

    /// <summary>The node that computes <paramref name="value"/>, or null for a graph input or initialiser.</summary>
    public NodeProto? Producer(string value) => _producers.GetValueOrDefault(value);

    /// <summary>The one node that reads <paramref name="value"/>, which must be of <paramref name="opType"/>.</summary>
    public NodeProto OnlyConsumer(string value, string opType)
    {
        var consumers = _consumers.GetValueOrDefault(value) ?? [];
        if (consumers.Count != 1 || consumers[0].OpType != opType)
            throw new BadInputException(
                $"{Name}: '{value}' should feed exactly one {opType}; it feeds {(consumers.Count == 0 ? "nothing" : string.Join(", ", consumers.Select(Describe)))}.");
        return consumers[0];
    }

    /// <summary>The node producing <paramref name="value"/>, which must be of <paramref name="opType"/>.</summary>
    public NodeProto ProducedBy(string value, string opType)
    {
        var node = Producer(value);
        if (node?.OpType != opType)
            throw new BadInputException($"{Name}: '{value}' should come from a {opType}; it comes from {(node is null ? "no node" : Describe(node))}.");
        return node;
    }

    /// <summary>An initialiser's dimensions and float32 values.</summary>
    public (long[] Dims, float[] Values) Floats(string name)
    {
        if (!_initializers.TryGetValue(name, out var tensor))
            throw new BadInputException($"{Name}: '{name}' is not an initialiser (a weight stored in the file).");
        if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
            throw new BadInputException($"{Name}: initialiser '{name}' is of ONNX type {tensor.DataType}, not float32.");
        long count = tensor.Dims.Aggregate(1L, (a, d) => a * d);
        float[] values = tensor.RawData.Length > 0
            ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray() // ONNX stores raw data little-endian, as .NET on x64/arm64
            : [.. tensor.FloatData];
        if (values.Length != count)
            throw new BadInputException($"{Name}: initialiser '{name}' has {values.Length} values for dimensions [{string.Join(", ", tensor.Dims)}].");
        return ([.. tensor.Dims], values);
    }

    /// <summary>An integer-list attribute, or <paramref name="fallback"/> when the node does not set it.</summary>
    public static long[] Ints(NodeProto node, string attribute, long[] fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == attribute) is { } a ? [.. a.Ints] : fallback;

    /// <summary>An integer attribute, or <paramref name="fallback"/>.</summary>
    public static long Int(NodeProto node, string attribute, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == attribute)?.I ?? fallback;

    /// <summary>A float attribute, or <paramref name="fallback"/>.</summary>
    public static float Float(NodeProto node, string attribute, float fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == attribute)?.F ?? fallback;

    /// <summary>A string attribute, or <paramref name="fallback"/>.</summary>
    public static string Text(NodeProto node, string attribute, string fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == attribute)?.S.ToStringUtf8() ?? fallback;

    /// <summary>"Conv 'Convolution249'", for messages.</summary>
    public static string Describe(NodeProto node) => $"{node.OpType} '{(node.Name.Length > 0 ? node.Name : string.Join(",", node.Output))}'";
}
