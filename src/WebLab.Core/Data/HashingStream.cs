using System.Security.Cryptography;

namespace WebLab.Data;

/// <summary>A read-only stream that hashes (SHA-256) everything read through it.</summary>
public sealed class HashingStream(Stream inner) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _final;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Hash of the bytes read so far, as lowercase hex; reading more after this is an error.</summary>
    public string Sha256Hex()
    {
        _final ??= _hash.GetHashAndReset();
        return Convert.ToHexStringLower(_final);
    }

    /// <summary>Reads the rest of <paramref name="stream"/> and returns the SHA-256 of all of it.</summary>
    public static string Of(Stream stream)
    {
        using var hashing = new HashingStream(stream);
        hashing.CopyTo(Null);
        return hashing.Sha256Hex();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_final is not null)
            throw new InvalidOperationException("the hash was already taken");
        int read = inner.Read(buffer);
        _hash.AppendData(buffer[..read]);
        return read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
