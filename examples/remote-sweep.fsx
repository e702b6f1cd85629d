// Submits a small data-efficiency sweep (the NTG as images per class grow) to a running lab over HTTP, follows it live
// through the SignalR hub and prints the negative transfer gap of every point. Exits 1 if the job does not succeed.
//
// Usage:
//   dotnet fsi examples/remote-sweep.fsx [URL] [--source demo|ckpt_...] [--per-class 5,20] [--seeds N] [--epochs N]
//                                        [--token wl_...]
//   dotnet fsi examples/remote-sweep.fsx [URL] --follow job_...   (watch a sweep already submitted, from its start)
//   WEBLAB_URL=http://lab:5180 dotnet fsi examples/remote-sweep.fsx
// URL: the argument, else $WEBLAB_URL, else http://localhost:5180. Token: --token, else $WEBLAB_TOKEN (an API token from
// your account page, or 'weblab users add NAME'); the jobs it submits are yours. Defaults: --source demo (waits for the built-in demo
// source while the lab pretrains it), --per-class 5,20, --seeds 1, --epochs 5 (both arms).
//
// Live updates follow the late-joiner protocol: subscribe on the hub first, then load the job's events so far from
// GET /api/jobs/{id}/events, then apply only live events with a higher seq; a jump in seq (the lab drops messages for
// a slow client) is filled from the API again, so nothing is missed or printed twice.

// The mirror here has 10.0.11, not 10.0.0 (any 10.0.x speaks the lab's protocol).
#r "nuget: Microsoft.AspNetCore.SignalR.Client, 10.0.11"

open System
open System.Net.Http
open System.Net.Http.Json
open System.Text.Json
open System.Text.Json.Serialization
open System.Threading
open System.Threading.Channels
open System.Threading.Tasks
open Microsoft.AspNetCore.SignalR.Client

// What the lab sends, as far as this script reads it (System.Text.Json maps camelCase names and F# options).
type Progress = { Fraction: float; EtaSeconds: float option; Phase: string }
type JobEvent = { Seq: int64; Type: string; Payload: JsonElement; Progress: Progress option }
type StateChange = { JobId: string; State: string; Reason: string; Error: string option }
type Job = { Id: string; Kind: string; State: string; Error: string option; Progress: Progress option }
type Summary = { Mean: float }
type Ntg = { Mean: float; Ci95: float[]; N: int }
type Arm = { Name: string; TestAccuracy: Summary }
type ExperimentResult = { Arms: Arm list; Ntg: Ntg option }
type SweepPoint = { Settings: Map<string, string>; Result: ExperimentResult }
type SweepResult = { Points: SweepPoint list; Seconds: float }
type JobDetail = { Job: Job; Result: JsonElement option }
type PointEvent<'T> = { Point: int; Points: int; Settings: Map<string, string>; Event: 'T }
type RunFinished = { Arm: string; Seed: int; TestAccuracy: float; NtgSoFar: float option }
type StepProgress = { EpochEnd: bool }
type TrainingUpdate = { Progress: StepProgress }
type Checkpoint = { Id: string; Name: string; Builtin: bool }
type Problem = { Title: string; Errors: Map<string, string list> option }

type Message =
    | Live of JobEvent
    | State of StateChange
    | Tick // a periodic look at the API, in case the hub is reconnecting

type Options =
    { Url: string
      Source: string
      PerClass: string list
      Seeds: int
      Epochs: int
      Token: string
      Follow: string option }

let json =
    // The lab writes non-finite numbers as "NaN" and "Infinity".
    JsonSerializerOptions(JsonSerializerDefaults.Web,
                          NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)

let parse (argv: string list) =
    let (|Count|_|) (text: string) =
        match Int32.TryParse text with
        | true, n when n > 0 -> Some n
        | _ -> None
    let rec go options =
        function
        | [] -> Ok options
        | "--source" :: source :: rest -> go { options with Source = source } rest
        | "--per-class" :: sizes :: rest -> go { options with PerClass = List.ofArray (sizes.Split ',') } rest
        | "--seeds" :: Count n :: rest -> go { options with Seeds = n } rest
        | "--epochs" :: Count n :: rest -> go { options with Epochs = n } rest
        | "--token" :: token :: rest -> go { options with Token = token } rest
        | "--follow" :: job :: rest -> go { options with Follow = Some job } rest
        | url :: rest when not (url.StartsWith "--") -> go { options with Url = url.TrimEnd '/' } rest
        | other :: _ -> Error $"unexpected argument (or a bad value after it): '{other}'"
    let url =
        Environment.GetEnvironmentVariable "WEBLAB_URL" |> Option.ofObj |> Option.defaultValue "http://localhost:5180"
    let token = Environment.GetEnvironmentVariable "WEBLAB_TOKEN" |> Option.ofObj |> Option.defaultValue ""
    go { Url = url.TrimEnd '/'; Source = "demo"; PerClass = [ "5"; "20" ]; Seeds = 1; Epochs = 5
         Token = token; Follow = None } argv
    |> Result.bind (fun o ->
        if o.Token = "" then Error "no API token: pass --token wl_... or set WEBLAB_TOKEN (your account page makes one)"
        else Ok o)

let percent (fraction: float) = $"%.1f{100.0 * fraction}%%"

let points (fraction: float) = $"%+.1f{100.0 * fraction}"

let label (settings: Map<string, string>) =
    if settings.IsEmpty then "result"
    else settings |> Seq.map (fun kv -> $"{kv.Key}={kv.Value}") |> String.concat ", "

let getJson<'T> (http: HttpClient) (path: string) = task {
    let! response = http.GetAsync path
    let! body = response.Content.ReadAsStringAsync()
    if not response.IsSuccessStatusCode then failwith $"GET {path}: {int response.StatusCode} {body}"
    return JsonSerializer.Deserialize<'T>(body, json)
}

/// The built-in source exists only after the lab's first-start pretraining job; wait for it, saying so.
let rec waitForDemoSource (http: HttpClient) : Task = task {
    let! checkpoints = getJson<Checkpoint list> http "/api/checkpoints"
    if not (checkpoints |> List.exists _.Builtin) then
        let! queue = getJson<{| Running: Job list |}> http "/api/queue"
        let pretraining =
            queue.Running
            |> List.tryFind (fun j -> j.Kind = "pretrain")
            |> Option.bind _.Progress
            |> Option.map (fun p -> $" (its pretraining: {p.Phase}, {percent p.Fraction})")
            |> Option.defaultValue ""
        printfn $"waiting for the lab's built-in demo source{pretraining}..."
        do! Task.Delay(TimeSpan.FromSeconds 10.0)
        return! waitForDemoSource http
}

let submit (http: HttpClient) options = task {
    let spec =
        {| ``base`` =
            {| target = "fashion-mnist"; source = options.Source; targetClasses = [ "5"; "6"; "7"; "8"; "9" ]
               seeds = options.Seeds; transfer = {| epochs = options.Epochs |}; scratch = {| epochs = options.Epochs |}
               // The frozen-feature probe costs ~10 s a point on a CPU; this sweep is about the gap.
               probe = false |}
           axes = [ {| setting = "perClass"; values = options.PerClass |} ]
           name = "data efficiency (remote-sweep.fsx)" |}
    let! response = http.PostAsJsonAsync("/api/jobs", {| kind = "sweep"; spec = spec |}, json)
    let! body = response.Content.ReadAsStringAsync()
    if not response.IsSuccessStatusCode then
        let problem = JsonSerializer.Deserialize<Problem>(body, json)
        let errors =
            [ for KeyValue(field, messages) in problem.Errors |> Option.defaultValue Map.empty ->
                  "\n  " + field + ": " + String.concat " " messages ]
            |> String.concat ""
        failwith $"the lab refused the sweep ({int response.StatusCode}): {problem.Title}{errors}"
    return JsonSerializer.Deserialize<Job>(body, json)
}

/// A sweep event's payload: which point, its settings, and the experiment's own event.
let payload<'T> (e: JobEvent) = e.Payload.Deserialize<PointEvent<'T>>(json)

/// One line per milestone and per finished epoch. Progress lines come from live events only: they carry phase,
/// fraction and ETA (the lab's ETA is the current point's); events loaded from the API are milestones.
let show (e: JobEvent) =
    match e.Type, e.Progress with
    | "point-progress", Some p when (payload<TrainingUpdate> e).Event.Progress.EpochEnd ->
        let eta = p.EtaSeconds |> Option.map (fun s -> $"{s:F0} s") |> Option.defaultValue "?"
        printfn $"  [{e.Seq}] {percent p.Fraction} {p.Phase} (point eta {eta})"
    | "point-started", _ ->
        let p = payload<JsonElement> e
        printfn $"[{e.Seq}] point {p.Point + 1}/{p.Points} ({label p.Settings}) started"
    | "point-run", _ ->
        let p = payload<RunFinished> e
        let run = p.Event
        let ntg = run.NtgSoFar |> Option.map (fun n -> $", NTG so far {points n} points") |> Option.defaultValue ""
        let point = $"point {p.Point + 1}/{p.Points} ({label p.Settings})"
        printfn $"[{e.Seq}] {point}: {run.Arm} seed {run.Seed} test accuracy {percent run.TestAccuracy}{ntg}"
    | _ -> ()

let finished state = state = "succeeded" || state = "failed" || state = "cancelled" || state = "timed-out"

/// Applies events in seq order exactly once, until the job has finished.
let follow (http: HttpClient) (jobId: string) (messages: ChannelReader<Message>) = task {
    let catchUp after = task {
        let! events = getJson<JobEvent list> http $"/api/jobs/{jobId}/events?after={after}"
        events |> List.iter show
        return events |> List.fold (fun last e -> max last e.Seq) after
    }
    let! history = catchUp 0L
    let! job = getJson<JobDetail> http $"/api/jobs/{jobId}"
    let mutable last = history
    let mutable state = job.Job.State
    while not (finished state) do
        match! messages.ReadAsync() with
        | Live e when e.Seq = last + 1L ->
            show e
            last <- e.Seq
        | Live e when e.Seq > last ->
            let! caught = catchUp last
            last <- caught
        | Live _ -> () // already loaded from the API
        | State s -> state <- s.State
        | Tick ->
            try
                let! job = getJson<JobDetail> http $"/api/jobs/{jobId}"
                state <- job.Job.State
            with :? HttpRequestException as e ->
                printfn $"(the lab does not answer: {e.Message}; asking again in a while)"
    let! _ = catchUp last // events that raced the final state message
    return ()
}

let printResult (job: JobDetail) =
    match job.Result with
    | Some result when job.Job.State = "succeeded" ->
        // --follow also works for a single experiment: treat it as a sweep of one point.
        let sweep =
            if job.Job.Kind = "sweep" then result.Deserialize<SweepResult>(json)
            else { Points = [ { Settings = Map.empty; Result = result.Deserialize<ExperimentResult>(json) } ]
                   Seconds = result.GetProperty("seconds").GetDouble() }
        printfn $"\n{job.Job.Kind} done in {sweep.Seconds:F0} s"
        for p in sweep.Points do
            let accuracy name =
                p.Result.Arms
                |> List.tryFind (fun a -> a.Name = name)
                |> Option.map (fun a -> percent a.TestAccuracy.Mean)
                |> Option.defaultValue "-"
            let transfer, scratch = accuracy "transfer", accuracy "scratch"
            match p.Result.Ntg with
            | Some n ->
                let ci = if n.N > 1 then $" (95%% CI {points n.Ci95[0]} to {points n.Ci95[1]})" else ""
                printfn $"{label p.Settings}: transfer {transfer}, scratch {scratch}, NTG {points n.Mean} points{ci}"
            | None -> printfn $"{label p.Settings}: transfer {transfer}, no NTG (stopped early)"
        0
    | _ ->
        let error = job.Job.Error |> Option.defaultValue "no error recorded"
        eprintfn $"job {job.Job.Id} ended {job.Job.State}: {error}"
        1

let main options = task {
    use http = new HttpClient(BaseAddress = Uri(options.Url + "/"), Timeout = TimeSpan.FromSeconds 30.0)
    http.DefaultRequestHeaders.Authorization <- Headers.AuthenticationHeaderValue("Bearer", options.Token)
    let! jobId = task {
        match options.Follow with
        | Some id -> return id
        | None ->
            if options.Source = "demo" then
                do! waitForDemoSource http
            let! job = submit http options
            let sizes = String.concat "," options.PerClass
            printfn $"submitted {job.Id} to {options.Url} (sweep of perClass {sizes}, source {options.Source})"
            return job.Id
    }

    // Hub callbacks only enqueue; one loop applies everything in order.
    let messages = Channel.CreateUnbounded<Message>()
    // WebSockets cannot carry headers: the client sends the token as ?access_token=, which the lab's hub accepts.
    let hub =
        HubConnectionBuilder()
            .WithUrl(options.Url + "/hubs/jobs", fun o -> o.AccessTokenProvider <- fun () -> Task.FromResult options.Token)
            .WithAutomaticReconnect()
            .Build()
    let enqueue wrap = Action<JsonElement>(fun e -> messages.Writer.TryWrite(wrap e) |> ignore)
    use _onEvent = hub.On("event", enqueue (fun e -> Live(e.Deserialize<JobEvent>(json))))
    use _onState = hub.On("state", enqueue (fun s -> State(s.Deserialize<StateChange>(json))))
    let every = TimeSpan.FromSeconds 30.0
    use _ticks = new Timer((fun _ -> messages.Writer.TryWrite Tick |> ignore), null, every, every)
    // A new connection after a drop is in no group yet: subscribe again (a jump in seq then fills the gap).
    hub.add_Reconnected(fun _ -> hub.InvokeAsync("SubscribeJob", jobId))
    do! hub.StartAsync()
    let! _ = hub.InvokeAsync<int64>("SubscribeJob", jobId) // subscribe first, then load the history
    do! follow http jobId messages.Reader
    do! hub.DisposeAsync() // (not `use`: task { } disposes only IDisposable)
    let! detail = getJson<JobDetail> http $"/api/jobs/{jobId}"
    return printResult detail
}

match parse (List.ofArray fsi.CommandLineArgs |> List.tail) with
| Error message ->
    eprintfn $"error: {message}"
    exit 2
| Ok options ->
    try
        exit (main(options).GetAwaiter().GetResult())
    with e ->
        eprintfn $"error: {e.Message}"
        exit 1
