using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace WebLab.Lab.Workers;

/// <summary>
/// The worker's side of <see cref="WorkerUplink"/>: protocol lines written to <see cref="Output"/> are posted to the lab
/// in batches (at least every keep-alive), and the commands in the lab's answers are read from <see cref="Commands"/>,
/// as a local worker reads stdin. A lab that cannot be reached is retried until it answers; a lab that says the
/// attempt is over (the token expired, the job was cancelled or taken over) makes the worker cancel.
/// </summary>
public sealed class LabUplink : IDisposable
{
    /// <summary>The lab's endpoint for worker posts, relative to its URL; <c>?task=N</c> names an array's task.</summary>
    public const string Path = "/api/worker/messages";

    /// <summary>The Authorization scheme of attempt tokens (not "Bearer": these are not people's API tokens).</summary>
    public const string Scheme = "WebLab-Attempt";

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly BlockingCollection<string> _lines = new();
    private readonly BlockingCollection<string> _commands = new();
    private readonly Thread _sender;
    private readonly TextWriter _error;

    public LabUplink(WorkerUplink uplink, int task, TextWriter error, HttpMessageHandler? handler = null)
    {
        _error = error;
        _http = handler is null ? new HttpClient() : new HttpClient(handler);
        _http.Timeout = TimeSpan.FromSeconds(30);
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(Scheme, uplink.Token);
        _endpoint = new Uri(new Uri(uplink.Url), $"{Path}?task={task.ToString(CultureInfo.InvariantCulture)}");
        Output = new LineWriter(_lines);
        Commands = new CommandReader(_commands);
        _sender = new Thread(Send) { IsBackground = true, Name = "lab uplink" };
        _sender.Start();
    }

    /// <summary>Where the worker writes its protocol lines.</summary>
    public TextWriter Output { get; }

    /// <summary>The lab's commands, one per line; ends when the uplink is closed.</summary>
    public TextReader Commands { get; }

    /// <summary>Sends the exit code after everything written before it, and waits (up to <paramref name="patience"/>) until the lab has it.</summary>
    public bool Finish(int exitCode, TimeSpan patience)
    {
        Output.WriteLine(System.Text.Json.JsonSerializer.Serialize<WorkerMessage>(new WorkerExited(exitCode), WebLabJson.Compact));
        _lines.CompleteAdding();
        return _sender.Join(patience);
    }

    private void Send()
    {
        var batch = new List<string>();
        var retry = TimeSpan.FromSeconds(1);
        while (!_lines.IsCompleted || batch.Count > 0)
        {
            if (batch.Count == 0 && _lines.TryTake(out var first, TimeSpan.FromSeconds(1)))
                batch.Add(first);
            while (batch.Count < 500 && _lines.TryTake(out var more))
                batch.Add(more);
            if (batch.Count == 0 && !_lines.IsAddingCompleted)
                continue;
            if (Post(batch))
            {
                batch.Clear();
                retry = TimeSpan.FromSeconds(1);
            }
            else
            {
                Thread.Sleep(retry); // the lab is restarting or the network is down: keep the lines, try again
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, TimeSpan.FromSeconds(15).Ticks));
            }
        }
        _commands.CompleteAdding();
    }

    /// <summary>Posts the lines; true once the lab has taken them (or refused the attempt for good).</summary>
    private bool Post(List<string> batch)
    {
        try
        {
            using var content = new StringContent(string.Join('\n', batch), Encoding.UTF8, "application/x-ndjson");
            using var response = _http.PostAsync(_endpoint, content).GetAwaiter().GetResult();
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Gone or HttpStatusCode.NotFound)
            {
                _error.WriteLine($"the lab refused this attempt ({(int)response.StatusCode}): cancelling");
                _commands.Add(WorkerCommands.Cancel);
                return true;
            }
            if (!response.IsSuccessStatusCode)
            {
                _error.WriteLine($"the lab answered {(int)response.StatusCode}; posting again");
                return false;
            }
            var answer = response.Content.ReadFromJsonAsync<UplinkReply>(WebLabJson.Compact).GetAwaiter().GetResult();
            foreach (var command in answer?.Commands ?? [])
                _commands.Add(command);
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or System.Text.Json.JsonException)
        {
            _error.WriteLine($"the lab could not be reached ({e.Message}); posting again");
            return false;
        }
    }

    public void Dispose()
    {
        _lines.CompleteAdding();
        _sender.Join(TimeSpan.FromSeconds(5));
        _http.Dispose();
        _lines.Dispose();
        _commands.Dispose();
    }

    /// <summary>Collects whole lines (what <see cref="WorkerOutput"/> writes) for the sender.</summary>
    private sealed class LineWriter(BlockingCollection<string> lines) : TextWriter
    {
        private readonly StringBuilder _partial = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            if (value == '\n')
            {
                if (!lines.IsAddingCompleted)
                    lines.Add(_partial.ToString());
                _partial.Clear();
            }
            else if (value != '\r')
            {
                _partial.Append(value);
            }
        }

        public override void WriteLine(string? value)
        {
            Write(value);
            Write('\n');
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? "")
                Write(c);
        }
    }

    /// <summary>Hands out the lab's commands line by line, blocking like stdin.</summary>
    private sealed class CommandReader(BlockingCollection<string> commands) : TextReader
    {
        public override string? ReadLine()
        {
            try
            {
                return commands.Take();
            }
            catch (InvalidOperationException)
            {
                return null; // completed: the uplink is closed
            }
        }
    }
}

/// <summary>The lab's answer to a worker's post: commands for it (<see cref="WorkerCommands"/>).</summary>
public sealed record UplinkReply(IReadOnlyList<string> Commands);
