using System.Buffers.Binary;
using System.Security.Cryptography;
using TorchSharp;
using static TorchSharp.torch;

namespace WebLab.Data.Tiles;

/// <summary>
/// Square uint8 tiles [C, S, S] addressed by position, read a batch at a time: the one way training, evaluation and
/// reports reach pixels, so a dataset never has to fit in one array. Shared by every view of a dataset (splits,
/// class selections) and released when the last view is disposed.
/// </summary>
public abstract class TileStore : IDisposable
{
    private int _references = 1;

    /// <summary>Slots in the store (some may be unused when a source image could not be decoded).</summary>
    public abstract int Count { get; }

    public abstract int Channels { get; }

    /// <summary>Tile side in pixels.</summary>
    public abstract int Size { get; }

    /// <summary>The tiles at <paramref name="positions"/>, in that order, as a new uint8 tensor [n, C, S, S] on the CPU.</summary>
    public Tensor Read(ReadOnlySpan<int> positions)
    {
        foreach (var position in positions)
        {
            if ((uint)position >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(positions), $"position {position} is outside 0..{Count - 1}");
        }
        return ReadChecked(positions);
    }

    protected abstract Tensor ReadChecked(ReadOnlySpan<int> positions);

    /// <summary>
    /// Feeds what the tiles at <paramref name="positions"/> hold into <paramref name="hash"/> (content keys such as a scratch
    /// run's): a tag, the shape, then the bytes. A store that derives its tiles from another's may feed that store's content
    /// and its recipe instead, as long as equal feeds mean equal tiles; every form starts with its own tag, so none is
    /// mistaken for another.
    /// </summary>
    internal virtual void AppendContent(IncrementalHash hash, ReadOnlySpan<int> positions)
    {
        Span<byte> head = stackalloc byte[9];
        head[0] = 0; // raw tiles
        BinaryPrimitives.WriteInt32LittleEndian(head[1..], Channels);
        BinaryPrimitives.WriteInt32LittleEndian(head[5..], Size);
        hash.AppendData(head);
        using var tiles = Read(positions);
        hash.AppendData(tiles.data<byte>().ToArray());
    }

    /// <summary>One more owner (a view); each owner disposes once.</summary>
    internal TileStore Share()
    {
        ObjectDisposedException.ThrowIf(Interlocked.Increment(ref _references) <= 1, this);
        return this;
    }

    public void Dispose()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Release();
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>Frees what the store holds; called once, when its last owner lets go.</summary>
    protected abstract void Release();
}

/// <summary>Tiles held in one in-memory tensor: small array datasets (Fashion-MNIST is 47 MB at 28 px) and tests.</summary>
public sealed class TensorTiles : TileStore
{
    private readonly Tensor _tiles;

    /// <summary>Takes ownership of <paramref name="tiles"/> (uint8, [N, C, S, S]).</summary>
    public TensorTiles(Tensor tiles)
    {
        if (tiles.dtype != ScalarType.Byte || tiles.dim() != 4 || tiles.shape[2] != tiles.shape[3])
            throw new ArgumentException("tiles must be a uint8 tensor of shape [N, C, S, S]", nameof(tiles));
        _tiles = tiles.DetachFromDisposeScope();
    }

    public override int Count => (int)_tiles.shape[0];

    public override int Channels => (int)_tiles.shape[1];

    public override int Size => (int)_tiles.shape[2];

    protected override Tensor ReadChecked(ReadOnlySpan<int> positions)
    {
        var longs = new long[positions.Length];
        for (int i = 0; i < longs.Length; i++)
            longs[i] = positions[i];
        using var index = torch.tensor(longs, ScalarType.Int64);
        return _tiles.index_select(0, index);
    }

    protected override void Release() => _tiles.Dispose();
}

/// <summary>
/// Another store's tiles resized as they are read (bilinear, antialiased): array formats stay at their native size in
/// memory (Fashion-MNIST at 256 px would be 15.7 GB) and each batch is resized on its way to the model.
/// </summary>
public sealed class ResizedTiles : TileStore
{
    private readonly TileStore _inner;

    /// <summary>Takes ownership of <paramref name="inner"/>.</summary>
    public ResizedTiles(TileStore inner, int size)
    {
        if (size is < 8 or > 1024)
            throw new BadInputException($"Image size {size} is out of range (8..1024).");
        _inner = inner;
        Size = size;
    }

    public override int Count => _inner.Count;

    public override int Channels => _inner.Channels;

    public override int Size { get; }

    protected override Tensor ReadChecked(ReadOnlySpan<int> positions) => Resize(_inner.Read(positions), Size);

    /// <summary>The native tiles and the size they are resized to: the resize is deterministic, and hashing the small originals skips it.</summary>
    internal override void AppendContent(IncrementalHash hash, ReadOnlySpan<int> positions)
    {
        Span<byte> head = stackalloc byte[5];
        head[0] = 1; // resized
        BinaryPrimitives.WriteInt32LittleEndian(head[1..], Size);
        hash.AppendData(head);
        _inner.AppendContent(hash, positions);
    }

    /// <summary>Resizes uint8 [N, C, H, W] to size x size (bilinear, antialiased, as PIL), disposing the input.</summary>
    public static Tensor Resize(Tensor tiles, int size)
    {
        if (tiles.shape[2] == size && tiles.shape[3] == size)
            return tiles;
        using var scope = torch.NewDisposeScope();
        var resized = torch.nn.functional.interpolate(tiles.to(ScalarType.Float32), [size, size],
                mode: InterpolationMode.Bilinear, align_corners: false, antialias: true)
            .round_().clamp_(0, 255).to(ScalarType.Byte);
        tiles.Dispose();
        return resized.MoveToOuterDisposeScope();
    }

    protected override void Release() => _inner.Dispose();
}
