namespace WebLab.Cli.Bench;

/// <summary>Options every benchmark takes.</summary>
/// <param name="Threads">Intra-op threads in both engines.</param>
/// <param name="Repeats">Interleaved repeats; the median is reported.</param>
/// <param name="Results">Folder for the results file (null: print only).</param>
/// <param name="Command">The command line, for the results file.</param>
internal sealed record BenchOptions(int Threads, int Repeats, string? Results, string Command);
