using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace WebLab.Data.Tiles;

/// <summary>
/// Tiles in a file of fixed-size slots (uint8 [C, S, S] each, no header; the shape lives in the cache's index).
/// Batches are read with positioned reads, not mapped: a worker's resident memory then holds only the batches in
/// flight, while the kernel's page cache - shared by every worker process reading the same file - keeps the hot
/// tiles. A mapped file would count every page it touched against the worker's RSS.
/// </summary>
public sealed class TileFile : TileStore
{
    private readonly SafeFileHandle _handle;

    private TileFile(SafeFileHandle handle, int count, int channels, int size)
    {
        _handle = handle;
        Count = count;
        Channels = channels;
        Size = size;
    }

    public override int Count { get; }

    public override int Channels { get; }

    public override int Size { get; }

    /// <summary>Bytes per tile.</summary>
    public long SlotBytes => (long)Channels * Size * Size;

    /// <summary>
    /// A new file of <paramref name="count"/> zeroed slots, open for writing and reading. With
    /// <paramref name="deleteOnClose"/> it is scratch space that disappears with the store.
    /// </summary>
    public static TileFile Create(string path, int count, int channels, int size, bool deleteOnClose = false)
    {
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read,
            deleteOnClose ? FileOptions.DeleteOnClose : FileOptions.None);
        var file = new TileFile(handle, count, channels, size);
        RandomAccess.SetLength(handle, count * file.SlotBytes);
        return file;
    }

    /// <summary>Scratch tiles in the temp folder, deleted when the store is released.</summary>
    public static TileFile CreateScratch(int count, int channels, int size) =>
        Create(Path.Combine(Path.GetTempPath(), $"weblab-tiles-{Guid.NewGuid():N}.bin"), count, channels, size, deleteOnClose: true);

    /// <summary>Opens a finished file read-only; its length must match the shape.</summary>
    public static TileFile Open(string path, int count, int channels, int size)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        var file = new TileFile(handle, count, channels, size);
        long length = RandomAccess.GetLength(handle);
        if (length != count * file.SlotBytes)
        {
            file.Dispose();
            throw new InvalidDataException($"tile file holds {length} bytes; {count} tiles of {channels}x{size}x{size} need {count * file.SlotBytes}");
        }
        return file;
    }

    /// <summary>Writes whole tiles into consecutive slots from <paramref name="slot"/> on (thread-safe: positioned writes).</summary>
    public void Write(int slot, ReadOnlySpan<byte> tiles)
    {
        if (tiles.Length % SlotBytes != 0 || slot < 0 || slot + tiles.Length / SlotBytes > Count)
            throw new ArgumentOutOfRangeException(nameof(tiles), "writes must be whole tiles inside the file");
        RandomAccess.Write(_handle, tiles, slot * SlotBytes);
    }

    /// <summary>
    /// A copy holding only each tile's first channel (for sets where every image turned out grey: a third of the
    /// bytes to read per batch). The copy is created at <paramref name="path"/> like <see cref="Create"/>.
    /// </summary>
    public TileFile FirstChannel(string path, bool deleteOnClose)
    {
        var grey = Create(path, Count, 1, Size, deleteOnClose);
        var plane = new byte[Size * Size];
        for (int slot = 0; slot < Count; slot++)
        {
            ReadExactly(plane, slot * SlotBytes);
            grey.Write(slot, plane);
        }
        return grey;
    }

    protected override Tensor ReadChecked(ReadOnlySpan<int> positions)
    {
        int slotBytes = checked((int)SlotBytes);
        var buffer = new byte[(long)positions.Length * slotBytes];
        // Runs of consecutive slots (evaluation reads in order) are one read each.
        for (int i = 0; i < positions.Length;)
        {
            int run = 1;
            while (i + run < positions.Length && positions[i + run] == positions[i] + run)
                run++;
            ReadExactly(buffer.AsSpan(i * slotBytes, run * slotBytes), positions[i] * SlotBytes);
            i += run;
        }
        return torch.tensor(buffer, [positions.Length, Channels, Size, Size], ScalarType.Byte);
    }

    private void ReadExactly(Span<byte> target, long offset)
    {
        while (target.Length > 0)
        {
            int read = RandomAccess.Read(_handle, target, offset);
            if (read == 0)
                throw new InvalidDataException("the tile file is shorter than its index says");
            target = target[read..];
            offset += read;
        }
    }

    protected override void Release() => _handle.Dispose();
}
