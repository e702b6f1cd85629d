namespace WebLab;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs its callback on the reporting thread, in order
/// (<see cref="Progress{T}"/> posts to the thread pool, which reorders and delays records).
/// </summary>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
