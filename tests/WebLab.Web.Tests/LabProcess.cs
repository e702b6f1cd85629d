using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace WebLab.Web.Tests;

/// <summary>
/// A real lab: `dotnet WebLab.Web.dll` on a free loopback port with its own data folder, running real worker
/// processes. Tests kill it (SIGKILL) and restart it on the same folder.
/// </summary>
public sealed class LabProcess : IDisposable
{
    private readonly StringBuilder _log = new();
    private Process? _process;

    public LabProcess(string dataDirectory, IReadOnlyDictionary<string, string>? settings = null)
    {
        DataDirectory = dataDirectory;
        _settings = settings ?? new Dictionary<string, string>();
        Start();
    }

    private readonly IReadOnlyDictionary<string, string> _settings;

    public string DataDirectory { get; }

    public int Port { get; private set; }

    public Uri Url => new($"http://127.0.0.1:{Port}");

    public HttpClient Http { get; private set; } = null!;

    public int Pid => _process!.Id;

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    public void Start()
    {
        Port = FreePort();
        var start = new ProcessStartInfo(WebLab.Lab.Workers.WorkerProcess.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "WebLab.Web.dll"), "--urls", Url.ToString() })
            start.ArgumentList.Add(arg);
        start.Environment["WEBLAB_DATA"] = DataDirectory;
        start.Environment["WebLab__CreateDemoSource"] = "false";
        start.Environment["WebLab__InstallZooSource"] = "false";
        start.Environment["WebLab__HeartbeatInterval"] = "00:00:01";
        start.Environment["WebLab__Lease"] = "00:00:06";
        start.Environment["WebLab__WorkerStopGrace"] = "00:00:10";
        start.Environment["Logging__LogLevel__Default"] = "Information";
        foreach (var (key, value) in _settings)
            start.Environment[key] = value;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"the lab exited with {_process.ExitCode}:\n{Log}");
            try
            {
                if (Http.GetAsync("/api/health").GetAwaiter().GetResult().StatusCode == HttpStatusCode.OK)
                {
                    Token ??= AddUserAsync("tester", "admin").GetAwaiter().GetResult();
                    Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            Thread.Sleep(200);
        }
        throw new TimeoutException($"the lab did not answer within 60 s:\n{Log}");
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }

    /// <summary>SIGKILL the host (its workers see their stdin close and stop by themselves).</summary>
    public void Kill()
    {
        _process!.Kill();
        _process.WaitForExit();
        Http.Dispose();
    }

    /// <summary>The API token of "tester", an admin added with the CLI the first time the lab answered (kept across restarts).</summary>
    public string? Token { get; private set; }

    /// <summary>Adds a user the way an admin would (weblab users add NAME --role ROLE --data DIR); returns their API token.</summary>
    public async Task<string> AddUserAsync(string name, string role)
    {
        var run = await WeblabCli.RunAsync(null, null, "users", "add", name, "--role", role, "--data", DataDirectory);
        run.AssertSucceeded();
        return run.Stdout.Trim();
    }

    /// <summary>A hub connection (not started) signed in with <paramref name="token"/> (default: the test admin's).</summary>
    public HubConnection Hub(string? token = null) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(Url, "/hubs/jobs"), o => o.AccessTokenProvider = () => Task.FromResult(token ?? Token))
            .Build();

    /// <summary>A client of the lab with <paramref name="token"/>.</summary>
    public HttpClient ClientWith(string token)
    {
        var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<JsonElement> SubmitAsync(object body)
    {
        var response = await Http.PostAsJsonAsync("/api/jobs", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"submit failed: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    /// <summary>Pretrains a tiny source (Fashion-MNIST 0-4, 100 per class, 1 epoch) through the queue; returns its checkpoint id.</summary>
    public async Task<string> PretrainTinySourceAsync()
    {
        var job = await SubmitAsync(new
        {
            kind = "pretrain",
            name = "tiny source for tests",
            spec = new { dataset = "fashion-mnist", classes = new[] { "0", "1", "2", "3", "4" }, architecture = "resnet8", epochs = 1, perClass = 100 },
        });
        var id = job.GetProperty("id").GetString()!;
        var done = await FinishedAsync(id);
        Assert.True(State(done) == "succeeded", done.ToString());
        return "ckpt_" + id["job_".Length..]; // a pretraining job's checkpoint is named after the job
    }

    /// <summary>A small experiment (Fashion-MNIST 5-9, 20 per class, 1 seed, both arms) from <paramref name="source"/>.</summary>
    public static object SmallExperiment(string source, int epochs = 3) => new
    {
        kind = "experiment",
        spec = new
        {
            target = "fashion-mnist",
            source,
            targetClasses = new[] { "5", "6", "7", "8", "9" },
            perClass = 20,
            seeds = 1,
            probe = false,
            transfer = new { epochs },
        },
    };

    /// <summary>A two-point data-efficiency sweep (5 and 10 images per class of Fashion-MNIST 5, 7, 9, 2 epochs).</summary>
    public static object TwoPointSweep(string source) => new
    {
        kind = "sweep",
        spec = new
        {
            @base = new { target = "fashion-mnist", source, targetClasses = new[] { "5", "7", "9" }, seeds = 1, probe = false, transfer = new { epochs = 2 } },
            axes = new[] { new { setting = "perClass", values = new[] { "5", "10" } } },
        },
    };

    /// <summary>Submits <see cref="SmallExperiment"/> and returns its id once its worker has sent training progress.</summary>
    public async Task<string> RunningWithProgressAsync(string source, int epochs)
    {
        var id = (await SubmitAsync(SmallExperiment(source, epochs))).GetProperty("id").GetString()!;
        await WaitAsync(id, d => State(d) == "running" && d.GetProperty("job").TryGetProperty("progress", out var p)
                                 && p.ValueKind == JsonValueKind.Object && p.GetProperty("fraction").GetDouble() > 0, seconds: 240);
        return id;
    }

    public async Task<JsonElement> JobAsync(string id) => await Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{id}");

    /// <summary>Polls until <paramref name="until"/> holds for the job detail; fails with the lab's log on timeout.</summary>
    public async Task<JsonElement> WaitAsync(string id, Func<JsonElement, bool> until, int seconds = 180)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        JsonElement detail = default;
        while (DateTime.UtcNow < deadline)
        {
            detail = await JobAsync(id);
            if (until(detail))
                return detail;
            await Task.Delay(200);
        }
        throw new TimeoutException($"job {id} did not reach the expected state; last: {detail}\n{Log}");
    }

    public Task<JsonElement> FinishedAsync(string id, int seconds = 180) =>
        WaitAsync(id, d => d.GetProperty("job").GetProperty("state").GetString() is "succeeded" or "failed" or "cancelled" or "timed-out", seconds);

    public static string State(JsonElement detail) => detail.GetProperty("job").GetProperty("state").GetString()!;

    /// <summary>Pids of worker processes running <paramref name="jobId"/>.</summary>
    public static int[] WorkerPids(string jobId)
    {
        using var pgrep = Process.Start(new ProcessStartInfo("pgrep", ["-f", $"worker --job .*{jobId}"]) { RedirectStandardOutput = true })!;
        var output = pgrep.StandardOutput.ReadToEnd();
        pgrep.WaitForExit();
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
    }

    public static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (_process is { HasExited: false })
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process?.Dispose();
        Http.Dispose();
    }
}
