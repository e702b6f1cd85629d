namespace WebLab.Checkpoints.Zoo;

/// <summary>What a Caffe/CNTK-style preprocessing graph does: its channel order and its per-pixel mean image.</summary>
/// <param name="MeanImage">[C, H, W] in <paramref name="Order"/>, on the pixel scale the graph receives.</param>
internal sealed record PreprocessGraph(ChannelOrder Order, long[] Shape, float[] MeanImage);

/// <summary>
/// Reads ML.NET's ResNetPreprocess.onnx: Split the RGB input into its channels, Concat them (as BGR), Sub a
/// [1, 3, H, W] mean image. The channel order is read from the Concat, not assumed; any other graph is refused.
/// </summary>
internal static class OnnxPreprocess
{
    public static PreprocessGraph Read(OnnxGraph graph)
    {
        var input = graph.Model.Graph.Input.Single(i => graph.Model.Graph.Initializer.All(t => t.Name != i.Name));
        var split = graph.OnlyConsumer(input.Name, "Split");
        if (OnnxGraph.Int(split, "axis", 0) != 1 || split.Output.Count != 3)
            throw new BadInputException($"{graph.Name}: {OnnxGraph.Describe(split)} should split the 3 channels (axis 1).");
        var concat = graph.OnlyConsumer(split.Output[0], "Concat");
        if (OnnxGraph.Int(concat, "axis", 0) != 1)
            throw new BadInputException($"{graph.Name}: {OnnxGraph.Describe(concat)} should join channels (axis 1).");
        var order = concat.Input.Select(i => split.Output.IndexOf(i)).ToArray();
        var channelOrder = order.SequenceEqual([0, 1, 2]) ? ChannelOrder.Rgb
            : order.SequenceEqual([2, 1, 0]) ? ChannelOrder.Bgr
            : throw new BadInputException($"{graph.Name}: channels are joined as [{string.Join(", ", order)}]; WebLab knows RGB and BGR.");
        var sub = graph.OnlyConsumer(concat.Output[0], "Sub");
        if (sub.Input[0] != concat.Output[0])
            throw new BadInputException($"{graph.Name}: {OnnxGraph.Describe(sub)} should subtract the mean image from the pixels.");
        var (dims, values) = graph.Floats(sub.Input[1]);
        if (dims.Length != 4 || dims[0] != 1 || dims[1] != 3)
            throw new BadInputException($"{graph.Name}: the mean image is [{string.Join(", ", dims)}]; expected [1, 3, H, W].");
        if (graph.Model.Graph.Output.Select(o => o.Name).SingleOrDefault() != sub.Output[0])
            throw new BadInputException($"{graph.Name}: the graph should end at {OnnxGraph.Describe(sub)}.");
        return new PreprocessGraph(channelOrder, dims[1..], values);
    }
}
