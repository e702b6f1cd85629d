using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace WebLab.Checkpoints;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record SafeTensorInfo(string Name, string DType, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
}

/// <summary>
/// Reads and writes the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
/// header length, a JSON header, then a byte buffer. Reading validates everything before any tensor data is
/// touched: header length, JSON shape, dtypes, offsets in range, byte length = dtype size x shape, no overlaps
/// and no holes (the format's rule against polyglot files).
/// </summary>
public sealed class SafeTensors : IDisposable
{
    /// <summary>Largest header accepted (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private static readonly Dictionary<string, (int Size, ScalarType Type)> s_dtypes = new()
    {
        ["F64"] = (8, ScalarType.Float64),
        ["F32"] = (4, ScalarType.Float32),
        ["F16"] = (2, ScalarType.Float16),
        ["BF16"] = (2, ScalarType.BFloat16),
        ["I64"] = (8, ScalarType.Int64),
        ["I32"] = (4, ScalarType.Int32),
        ["I16"] = (2, ScalarType.Int16),
        ["I8"] = (1, ScalarType.Int8),
        ["U8"] = (1, ScalarType.Byte),
        ["BOOL"] = (1, ScalarType.Bool),
    };

    private readonly FileStream _file;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafeTensorInfo> _tensors;

    private SafeTensors(FileStream file, string name, long dataStart, Dictionary<string, SafeTensorInfo> tensors,
        IReadOnlyDictionary<string, string> metadata)
    {
        _file = file;
        Name = name;
        _dataStart = dataStart;
        _tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>File name, for messages.</summary>
    public string Name { get; }

    /// <summary>The header's "__metadata__" map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensor entries by name.</summary>
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors => _tensors;

    /// <summary>Opens and validates a safetensors file.</summary>
    public static SafeTensors Open(string path)
    {
        var name = Path.GetFileName(path);
        var file = File.OpenRead(path);
        try
        {
            var (dataStart, tensors, metadata) = ReadHeader(file, name);
            return new SafeTensors(file, name, dataStart, tensors, metadata);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static (long, Dictionary<string, SafeTensorInfo>, Dictionary<string, string>) ReadHeader(FileStream file, string name)
    {
        long length = file.Length;
        if (length < 8)
            throw new BadInputException($"{name}: file is {length} bytes; a safetensors file starts with an 8-byte header length.");
        Span<byte> prefix = stackalloc byte[8];
        file.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength < 2 || headerLength > MaxHeaderBytes)
            throw new BadInputException($"{name}: header length {headerLength} is invalid (must be 2..{MaxHeaderBytes} bytes).");
        if ((long)headerLength > length - 8)
            throw new BadInputException($"{name}: header length {headerLength} runs past the end of the {length}-byte file.");

        var header = new byte[headerLength];
        file.ReadExactly(header);
        long dataStart = 8 + (long)headerLength;
        long dataLength = length - dataStart;

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new BadInputException($"{name}: header is not valid JSON ({e.Message}).", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new BadInputException($"{name}: header must be a JSON object.");
            var tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw new BadInputException($"{name}: header lists '{property.Name}' twice.");
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw new BadInputException($"{name}: __metadata__ must be an object of strings.");
                    foreach (var item in property.Value.EnumerateObject())
                    {
                        if (item.Value.ValueKind != JsonValueKind.String)
                            throw new BadInputException($"{name}: __metadata__ value '{item.Name}' is not a string.");
                        metadata[item.Name] = item.Value.GetString()!;
                    }
                    continue;
                }
                tensors[property.Name] = ParseEntry(name, property, dataLength);
            }

            // Offsets must tile the buffer exactly: sorted, contiguous from 0, ending at the file's end.
            long expected = 0;
            foreach (var info in tensors.Values.OrderBy(t => t.Begin).ThenBy(t => t.End))
            {
                if (info.Begin < expected)
                    throw new BadInputException($"{name}: tensor '{info.Name}' overlaps another tensor's bytes (offset {info.Begin}).");
                if (info.Begin > expected)
                    throw new BadInputException($"{name}: {info.Begin - expected} unindexed bytes before tensor '{info.Name}'; the buffer may not have holes.");
                expected = info.End;
            }
            if (expected != dataLength)
                throw new BadInputException($"{name}: {dataLength - expected} bytes after the last tensor are not indexed by the header.");
            return (dataStart, tensors, metadata);
        }
    }

    private static SafeTensorInfo ParseEntry(string name, JsonProperty property, long dataLength)
    {
        var key = property.Name;
        var value = property.Value;
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array)
            throw new BadInputException($"{name}: tensor '{key}' needs \"dtype\", \"shape\" and \"data_offsets\".");
        var dtype = dtypeElement.GetString()!;
        if (!s_dtypes.TryGetValue(dtype, out var type))
            throw new BadInputException($"{name}: tensor '{key}' has unsupported dtype '{dtype}' (supported: {string.Join(", ", s_dtypes.Keys)}).");

        var shape = new List<long>();
        long count = 1;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var d) || d < 0)
                throw new BadInputException($"{name}: tensor '{key}' has an invalid shape entry {dim}.");
            shape.Add(d);
            count = d == 0 ? 0 : count > long.MaxValue / d ? throw new BadInputException($"{name}: tensor '{key}' shape overflows.") : count * d;
        }
        var offsets = offsetsElement.EnumerateArray().ToList();
        if (offsets.Count != 2 || !offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end))
            throw new BadInputException($"{name}: tensor '{key}' data_offsets must be two integers [begin, end].");
        if (begin < 0 || end < begin || end > dataLength)
            throw new BadInputException(
                $"{name}: tensor '{key}' data_offsets [{begin}, {end}] are outside the {dataLength}-byte data buffer.");
        if (count > long.MaxValue / type.Size || count * type.Size != end - begin)
            throw new BadInputException(
                $"{name}: tensor '{key}' is {dtype} [{string.Join(", ", shape)}] = {count * type.Size} bytes, but its offsets span {end - begin} bytes.");
        return new SafeTensorInfo(key, dtype, [.. shape], begin, end);
    }

    /// <summary>Reads a tensor (CPU) in its stored dtype.</summary>
    public Tensor Read(string key)
    {
        if (!_tensors.TryGetValue(key, out var info))
            throw new BadInputException($"{Name}: no tensor named '{key}'.");
        var tensor = torch.empty(info.Shape, s_dtypes[info.DType].Type);
        if (info.ByteLength > 0)
        {
            _file.Position = _dataStart + info.Begin;
            tensor.ReadBytesFromStream(_file, 1 << 20);
        }
        return tensor;
    }

    /// <summary>Reads a floating-point tensor converted to float32.</summary>
    public Tensor ReadFloat32(string key)
    {
        var info = _tensors[key];
        if (info.DType is not ("F32" or "F16" or "BF16" or "F64"))
            throw new BadInputException($"{Name}: tensor '{key}' is {info.DType}; a floating-point weight was expected.");
        var raw = Read(key);
        if (raw.dtype == ScalarType.Float32)
            return raw;
        using (raw)
            return raw.to(ScalarType.Float32);
    }

    /// <summary>Writes tensors (any CPU/GPU dtype WebLab uses) and string metadata atomically: temp file, then rename.</summary>
    public static void Write(string path, IReadOnlyList<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        if (metadata is { Count: > 0 })
            header["__metadata__"] = metadata;
        long offset = 0;
        using var scope = torch.NewDisposeScope();
        var cpu = new List<Tensor>();
        foreach (var (name, tensor) in tensors)
        {
            var t = tensor.detach().cpu().contiguous();
            cpu.Add(t);
            var dtype = DTypeName(t.dtype);
            long bytes = t.numel() * s_dtypes[dtype].Size;
            if (!header.TryAdd(name, new Dictionary<string, object> { ["dtype"] = dtype, ["shape"] = t.shape, ["data_offsets"] = new[] { offset, offset + bytes } }))
                throw new ArgumentException($"tensor '{name}' is listed twice", nameof(tensors));
            offset += bytes;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padded = (json.Length + 7) / 8 * 8; // align the buffer to 8 bytes, padding with spaces
        var temp = path + ".tmp-" + Environment.ProcessId;
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> prefix = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)padded);
                file.Write(prefix);
                file.Write(json);
                for (int i = json.Length; i < padded; i++)
                    file.WriteByte((byte)' ');
                foreach (var t in cpu)
                {
                    if (t.numel() > 0)
                        t.WriteBytesToStream(file, 1 << 20);
                }
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>The safetensors dtype name of a torch dtype.</summary>
    public static string DTypeName(ScalarType type) =>
        s_dtypes.FirstOrDefault(d => d.Value.Type == type).Key ?? throw new ArgumentException($"dtype {type} has no safetensors name");

    public void Dispose() => _file.Dispose();
}
