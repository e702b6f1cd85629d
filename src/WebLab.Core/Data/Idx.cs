using System.Buffers.Binary;
using System.IO.Compression;

namespace WebLab.Data;

/// <summary>
/// Reads MNIST-style IDX files (raw or gzip, detected from content).
/// Header sizes are never trusted for allocation: data is read in chunks and checked against the header.
/// </summary>
public static class Idx
{
    /// <summary>Largest payload an IDX file may declare (4 GiB); anything larger is refused before reading.</summary>
    public const long MaxPayloadBytes = 4L << 30;

    /// <summary>One IDX array of unsigned bytes with its dimensions.</summary>
    public sealed record IdxArray(int[] Shape, byte[] Data);

    /// <summary>
    /// Reads an unsigned-byte IDX array from a file. With <paramref name="expectedSha256"/> the decompressed
    /// content must have that SHA-256 (so the same check works for gzipped and raw copies).
    /// </summary>
    public static IdxArray Read(string path, string? expectedSha256 = null)
    {
        using var file = File.OpenRead(path);
        return Read(file, path, expectedSha256);
    }

    /// <summary>Reads an unsigned-byte IDX array; <paramref name="name"/> is used in error messages.</summary>
    public static IdxArray Read(Stream stream, string name, string? expectedSha256 = null)
    {
        using var hashing = new HashingStream(MaybeGzip(stream, name));
        var result = ReadArray(hashing, name);
        if (expectedSha256 is not null && !string.Equals(hashing.Sha256Hex(), expectedSha256, StringComparison.OrdinalIgnoreCase))
            throw new BadInputException(
                $"{name}: content checksum does not match the catalogue (sha256 {hashing.Sha256Hex()}, expected {expectedSha256}); " +
                "the file is corrupt or not the expected dataset.");
        return result;
    }

    private static IdxArray ReadArray(Stream input, string name)
    {
        Span<byte> magic = stackalloc byte[4];
        ReadExactly(input, magic, name, "the 4-byte magic number");
        if (magic[0] != 0 || magic[1] != 0)
            throw new BadInputException($"{name}: not an IDX file (magic number starts {magic[0]:x2} {magic[1]:x2}, expected 00 00).");
        if (magic[2] != 0x08)
            throw new BadInputException($"{name}: IDX element type 0x{magic[2]:x2} is not supported (only 0x08, unsigned bytes).");
        int dims = magic[3];
        if (dims is < 1 or > 4)
            throw new BadInputException($"{name}: IDX header declares {dims} dimensions; expected 1 to 4.");

        var shape = new int[dims];
        Span<byte> dim = stackalloc byte[4];
        long total = 1;
        for (int i = 0; i < dims; i++)
        {
            ReadExactly(input, dim, name, $"dimension {i + 1} of the header");
            uint size = BinaryPrimitives.ReadUInt32BigEndian(dim);
            if (size == 0 || size > int.MaxValue)
                throw new BadInputException($"{name}: IDX dimension {i + 1} is {size}; it must be between 1 and {int.MaxValue}.");
            shape[i] = (int)size;
            total *= size;
            if (total > MaxPayloadBytes)
                throw new BadInputException($"{name}: IDX header declares more than {MaxPayloadBytes} bytes of data; refusing to read it.");
        }

        var data = ReadPayload(input, total, name);
        if (input.ReadByte() != -1)
            throw new BadInputException($"{name}: file has data after the {total} bytes its header declares (shape {string.Join('x', shape)}).");
        return new IdxArray(shape, data);
    }

    private static byte[] ReadPayload(Stream input, long expected, string name)
    {
        // Grow with the bytes that actually arrive, so a lying header cannot make us allocate gigabytes.
        var buffer = new byte[Math.Min(expected, 1 << 20)];
        long filled = 0;
        while (filled < expected)
        {
            if (filled == buffer.Length)
                Array.Resize(ref buffer, (int)Math.Min(expected, (long)buffer.Length * 2));
            int read = input.Read(buffer, (int)filled, buffer.Length - (int)filled);
            if (read == 0)
                throw new BadInputException(
                    $"{name}: file is truncated: header declares {expected} bytes of data but only {filled} are present.");
            filled += read;
        }
        return buffer;
    }

    private static Stream MaybeGzip(Stream stream, string name)
    {
        var buffered = new BufferedStream(stream, 1 << 16);
        Span<byte> head = stackalloc byte[2];
        int n = buffered.Read(head);
        if (n == 0)
            throw new BadInputException($"{name}: file is empty.");
        buffered.Seek(-n, SeekOrigin.Current);
        if (n == 2 && head[0] == 0x1f && head[1] == 0x8b)
            return new GzipReadErrors(new GZipStream(buffered, CompressionMode.Decompress), name);
        return buffered;
    }

    private static void ReadExactly(Stream input, Span<byte> target, string name, string what)
    {
        int filled = 0;
        while (filled < target.Length)
        {
            int read = input.Read(target[filled..]);
            if (read == 0)
                throw new BadInputException($"{name}: file ends inside {what} (truncated IDX header).");
            filled += read;
        }
    }

    /// <summary>Turns gzip stream corruption into a named input error.</summary>
    private sealed class GzipReadErrors(Stream inner, string name) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return inner.Read(buffer);
            }
            catch (InvalidDataException e)
            {
                throw new BadInputException($"{name}: gzip data is corrupt ({e.Message}).", e);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
