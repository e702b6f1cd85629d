using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using WebLab.Lab.Access;
using WebLab.Lab.Storage;
using WebLab.Lab.Workers;

namespace WebLab.Cli.Bench;

/// <summary>
/// A real lab for the end-to-end benchmark: the built host (WebLab.Web.dll) on a free loopback port with its own
/// data folder, running real worker processes. Disposing kills the host and its workers (the processes it started).
/// </summary>
internal sealed class LabHost : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    public LabHost(string webDll, string dataDirectory)
    {
        int port = FreePort();
        var start = new ProcessStartInfo(WorkerProcess.DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { webDll, "--urls", $"http://127.0.0.1:{port}" })
            start.ArgumentList.Add(arg);
        start.Environment["WEBLAB_DATA"] = dataDirectory;
        start.Environment["WebLab__CreateDemoSource"] = "true";
        // The end-to-end benchmark times the demo alone.
        start.Environment["WebLab__InstallZooSource"] = "false";
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"the lab exited with {_process.ExitCode}:\n{Log}");
            try
            {
                if (Http.GetAsync("/api/health").GetAwaiter().GetResult().StatusCode == HttpStatusCode.OK)
                {
                    Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", BenchToken(dataDirectory));
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"the lab did not answer within 90 s:\n{Log}");
            Thread.Sleep(200);
        }
    }

    public HttpClient Http { get; }

    /// <summary>An admin "bench" in the lab's database (as 'weblab users add' makes one) and its API token.</summary>
    private static string BenchToken(string dataDirectory)
    {
        var users = new UserStore(new Database(new DataFolder(dataDirectory).DatabasePath));
        var user = users.AddAsync("bench", Role.Admin).GetAwaiter().GetResult();
        return users.CreateTokenAsync(user, TokenPurpose.Api, "bench").GetAwaiter().GetResult().Secret;
    }

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    public JsonElement Get(string path) => JsonDocument.Parse(Http.GetStringAsync(path).GetAwaiter().GetResult()).RootElement.Clone();

    public JsonElement Post(string path)
    {
        using var response = Http.PostAsync(path, null).GetAwaiter().GetResult();
        var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}
