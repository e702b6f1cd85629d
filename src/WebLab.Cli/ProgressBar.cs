using WebLab.Checkpoints.Zoo;
using WebLab.Training;

namespace WebLab.Cli;

/// <summary>
/// A one-line progress bar on stderr (redrawn in place on a terminal; one line per epoch when redirected).
/// </summary>
internal sealed class ProgressBar : IProgress<TrainingProgress>, IProgress<ZooProgress>
{
    private const int Width = 24;
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private int _lastLength;

    public void Report(TrainingProgress p)
    {
        if (!_interactive && !p.EpochEnd)
            return;
        int filled = (int)Math.Round(p.Fraction * Width);
        var bar = new string('#', filled) + new string('-', Width - filled);
        var val = p.ValAccuracy is { } v ? $" val {v:P1}" : "";
        var train = p.TrainAccuracy is { } t ? $" train {t:P1}" : "";
        var eta = p.EtaSeconds is { } e ? $" ETA {Seconds(e)}" : "";
        var line = $"[{bar}] {p.Fraction,4:P0} {p.Arm} seed {p.Seed} {p.Stage} epoch {p.Epoch}/{p.Epochs} loss {p.TrainLoss:F3}{train}{val} | " +
                   $"{p.ImagesPerSecond:F0} img/s{eta}";
        if (_interactive)
        {
            var padded = line.PadRight(_lastLength);
            _lastLength = line.Length;
            Console.Error.Write("\r" + padded);
            if (p.EpochEnd && p.Step >= p.TotalSteps)
            {
                Console.Error.WriteLine();
                _lastLength = 0;
            }
        }
        else
        {
            Console.Error.WriteLine(line);
        }
    }

    public void Report(ZooProgress p) => Draw(p.Fraction, p.Stage, p.Step >= p.Steps);

    // One bar line; a redirected stderr gets every line (installation steps are few).
    private void Draw(double fraction, string text, bool done)
    {
        int filled = (int)Math.Round(fraction * Width);
        var line = $"[{new string('#', filled)}{new string('-', Width - filled)}] {fraction,4:P0} {text}";
        if (!_interactive)
        {
            Console.Error.WriteLine(line);
            return;
        }
        Console.Error.Write("\r" + line.PadRight(_lastLength));
        _lastLength = line.Length;
        if (done)
        {
            Console.Error.WriteLine();
            _lastLength = 0;
        }
    }

    /// <summary>Ends a bar that stopped before 100%.</summary>
    public void Finish()
    {
        if (_interactive && _lastLength > 0)
        {
            Console.Error.WriteLine();
            _lastLength = 0;
        }
    }

    private static string Seconds(double s) => s >= 120 ? $"{s / 60:F0}m" : $"{s:F0}s";
}
