using System.Collections.Concurrent;

namespace WebLab.Training;

/// <summary>
/// Finished random-initialisation runs by content key, so experiments whose scratch arm would train identically (a sweep over
/// transfer-only dials, presets compared on one target, a repeated study) train it once. Keys are SHA-256 hex strings that
/// cover the data, seed, model, settings, transform, arithmetic and device; a hit is the stored run, as it was measured.
/// </summary>
public interface IScratchRunCache
{
    /// <summary>The run stored under <paramref name="key"/>, or null (never stored, or unreadable).</summary>
    SeedRun? TryGet(string key);

    /// <summary>Stores <paramref name="run"/> under <paramref name="key"/>, replacing what was there. A cache that cannot keep it says nothing.</summary>
    void Put(string key, SeedRun run);
}

/// <summary>Runs kept in memory for the life of the object: what a sweep shares between its points.</summary>
public sealed class MemoryScratchRunCache : IScratchRunCache
{
    private readonly ConcurrentDictionary<string, SeedRun> _runs = new(StringComparer.Ordinal);

    /// <summary>Runs stored so far.</summary>
    public int Count => _runs.Count;

    public SeedRun? TryGet(string key) => _runs.TryGetValue(key, out var run) ? run : null;

    public void Put(string key, SeedRun run) => _runs[key] = run;
}

/// <summary>Keeps nothing and finds nothing: every scratch run trains (--no-reuse, timing benchmarks).</summary>
public sealed class NoScratchRunCache : IScratchRunCache
{
    public static NoScratchRunCache Instance { get; } = new();

    private NoScratchRunCache()
    {
    }

    public SeedRun? TryGet(string key) => null;

    public void Put(string key, SeedRun run)
    {
    }
}
