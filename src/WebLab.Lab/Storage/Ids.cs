using System.Security.Cryptography;

namespace WebLab.Lab.Storage;

/// <summary>Server-generated identifiers: a prefix, the creation time (sortable) and randomness, e.g. job_0mfx3k9q_7hd2w.</summary>
public static class Ids
{
    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lowercase

    public static string New(string prefix, TimeProvider clock)
    {
        var time = clock.GetUtcNow().ToUnixTimeMilliseconds();
        Span<char> stamp = stackalloc char[9];
        for (int i = 8; i >= 0; i--)
        {
            stamp[i] = Alphabet[(int)(time & 31)];
            time >>= 5;
        }
        Span<byte> random = stackalloc byte[5];
        RandomNumberGenerator.Fill(random);
        Span<char> tail = stackalloc char[8];
        ulong bits = 0;
        foreach (var b in random)
            bits = (bits << 8) | b;
        for (int i = 7; i >= 0; i--)
        {
            tail[i] = Alphabet[(int)(bits & 31)];
            bits >>= 5;
        }
        return $"{prefix}_{stamp}{tail}";
    }

    /// <summary>True if <paramref name="id"/> looks like an id with <paramref name="prefix"/> (safe to use in a path).</summary>
    public static bool IsValid(string id, string prefix) =>
        id.Length == prefix.Length + 18 && id.StartsWith(prefix + "_", StringComparison.Ordinal)
        && id[(prefix.Length + 1)..].All(c => Alphabet.Contains(c, StringComparison.Ordinal));
}
