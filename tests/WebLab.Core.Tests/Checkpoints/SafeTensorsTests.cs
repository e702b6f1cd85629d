using System.Buffers.Binary;
using System.Text;
using TorchSharp;
using WebLab.Checkpoints;
using static TorchSharp.torch;

namespace WebLab.Tests.Checkpoints;

public class SafeTensorsTests
{
    private static string Write(TempDir dir, string header, int dataBytes, ulong? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var path = dir.File("model.safetensors");
        using var file = File.Create(path);
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, declaredLength ?? (ulong)json.Length);
        file.Write(prefix);
        file.Write(json);
        file.Write(new byte[dataBytes]);
        return path;
    }

    private static string Error(string header, int dataBytes, ulong? declaredLength = null)
    {
        using var dir = new TempDir();
        var path = Write(dir, header, dataBytes, declaredLength);
        return Assert.Throws<BadInputException>(() => SafeTensors.Open(path).Dispose()).Message;
    }

    private const string Valid = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}""";

    [Fact]
    public void Open_AcceptsValidFile()
    {
        using var dir = new TempDir();
        using var file = SafeTensors.Open(Write(dir, Valid, 12));
        Assert.Equal(["a", "b"], file.Tensors.Keys.Order());
        using var b = file.ReadFloat32("b");
        Assert.Equal(ScalarType.Float32, b.dtype);
    }

    [Fact]
    public void RoundTrip_KeepsValuesDtypesAndMetadata()
    {
        using var dir = new TempDir();
        var path = dir.File("rt.safetensors");
        using var a = torch.randn(3, 4);
        using var h = torch.randn(5).to(ScalarType.BFloat16);
        using var n = torch.tensor(7L);
        SafeTensors.Write(path, [("a", a), ("h", h), ("n", n)], new Dictionary<string, string> { ["k"] = "v" });
        using var file = SafeTensors.Open(path);
        Assert.Equal("v", file.Metadata["k"]);
        using var a2 = file.Read("a");
        using var h2 = file.Read("h");
        Assert.True(Tensors.Same(a, a2));
        Assert.Equal("BF16", file.Tensors["h"].DType);
        Assert.True(Tensors.Same(h, h2));
        Assert.Equal(7L, file.Read("n").item<long>());
        Assert.Equal(0, (8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path).AsSpan(0, 8))) % 8);
    }

    [Fact]
    public void Rejects_FileShorterThanPrefix()
    {
        using var dir = new TempDir();
        var path = dir.File("tiny.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Equal("tiny.safetensors: file is 3 bytes; a safetensors file starts with an 8-byte header length.",
            Assert.Throws<BadInputException>(() => SafeTensors.Open(path)).Message);
    }

    [Fact]
    public void Rejects_HugeHeaderLength() =>
        Assert.Contains("header length 18446744073709551615 is invalid", Error(Valid, 12, ulong.MaxValue));

    [Fact]
    public void Rejects_HeaderRunningPastEnd() =>
        Assert.Contains("runs past the end", Error(Valid, 0, 5000));

    [Fact]
    public void Rejects_InvalidJson() =>
        Assert.Contains("header is not valid JSON", Error("{\"a\": [", 0));

    [Fact]
    public void Rejects_NonObjectHeader() =>
        Assert.Contains("header must be a JSON object", Error("[1, 2]", 0));

    [Fact]
    public void Rejects_DuplicateKeys() =>
        Assert.Contains("lists 'a' twice", Error("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8));

    [Fact]
    public void Rejects_MissingFields() =>
        Assert.Contains("tensor 'a' needs \"dtype\", \"shape\" and \"data_offsets\"", Error("""{"a":{"dtype":"F32","shape":[1]}}""", 4));

    [Fact]
    public void Rejects_UnsupportedDtype() =>
        Assert.Contains("unsupported dtype 'F8_E4M3'", Error("""{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}""", 1));

    [Fact]
    public void Rejects_NegativeShape() =>
        Assert.Contains("invalid shape entry", Error("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4));

    [Fact]
    public void Rejects_OffsetsOutOfRange() =>
        Assert.Contains("data_offsets [0, 400] are outside the 8-byte data buffer", Error("""{"a":{"dtype":"F32","shape":[100],"data_offsets":[0,400]}}""", 8));

    [Fact]
    public void Rejects_ByteLengthNotMatchingShape() =>
        Assert.Contains("is F32 [3] = 12 bytes, but its offsets span 8 bytes", Error("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8));

    [Fact]
    public void Rejects_OverlappingTensors() =>
        Assert.Contains("overlaps another tensor", Error("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8));

    [Fact]
    public void Rejects_Holes() =>
        Assert.Contains("unindexed bytes before tensor 'b'", Error("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12));

    [Fact]
    public void Rejects_TrailingBytes() =>
        Assert.Contains("4 bytes after the last tensor are not indexed", Error("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8));

    [Fact]
    public void Rejects_NonStringMetadata() =>
        Assert.Contains("__metadata__ value 'x' is not a string", Error("""{"__metadata__":{"x":1},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4));
}
