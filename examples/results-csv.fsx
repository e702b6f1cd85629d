// Reads experiment and sweep results from a running lab over HTTP and writes them as CSV: one row per job, sweep point,
// arm and seed, with that seed's test accuracy and gap (NTG = error with transfer - error from scratch, as a fraction)
// and the point's mean NTG with its 95% interval.
//
// Usage:
//   dotnet fsi examples/results-csv.fsx [URL] [--job job_...] [--out results.csv] [--token wl_...]
// URL: the argument, else $WEBLAB_URL, else http://localhost:5180. Token: --token, else $WEBLAB_TOKEN. Without --job: every succeeded experiment and sweep.
// Without --out: CSV on stdout.

open System
open System.Globalization
open System.IO
open System.Net.Http
open System.Text.Json
open System.Text.Json.Serialization

// The parts of the lab's JSON this script reads (System.Text.Json maps camelCase names and F# options).
type Job = { Id: string; Kind: string; Name: string; State: string }
type JobDetail = { Job: Job; Result: JsonElement option }
type Run = { Seed: int; TestAccuracy: float; TestLoss: float; BestValAccuracy: float; BestEpoch: int; Seconds: float }
type Arm = { Name: string; Runs: Run list }
type Ntg = { Mean: float; Ci95: float[]; N: int }
type Target = { Dataset: string; PerClass: int option }
type Source = { Name: string option; Architecture: string }
type ExperimentResult = { Target: Target; Source: Source; Arms: Arm list; Ntg: Ntg option }
type SweepPoint = { Settings: Map<string, string>; Result: ExperimentResult }
type SweepResult = { Points: SweepPoint list }

type Row =
    { Job: Job
      Point: int
      Settings: Map<string, string>
      Result: ExperimentResult
      Arm: string
      Run: Run
      SeedNtg: float option }

type Options = { Url: string; Job: string option; Out: string option; Token: string }

let json =
    // The lab writes non-finite numbers as "NaN" and "Infinity".
    JsonSerializerOptions(JsonSerializerDefaults.Web,
                          NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)

let parse (argv: string list) =
    let rec go (options: Options) =
        function
        | [] -> Ok options
        | "--job" :: id :: rest -> go { options with Job = Some id } rest
        | "--out" :: path :: rest -> go { options with Out = Some path } rest
        | "--token" :: token :: rest -> go { options with Token = token } rest
        | url :: rest when not (url.StartsWith "--") -> go { options with Url = url.TrimEnd '/' } rest
        | other :: _ -> Error $"unexpected argument '{other}'"
    let url =
        Environment.GetEnvironmentVariable "WEBLAB_URL" |> Option.ofObj |> Option.defaultValue "http://localhost:5180"
    let token = Environment.GetEnvironmentVariable "WEBLAB_TOKEN" |> Option.ofObj |> Option.defaultValue ""
    go { Url = url.TrimEnd '/'; Job = None; Out = None; Token = token } argv
    |> Result.bind (fun o ->
        if o.Token = "" then Error "no API token: pass --token wl_... or set WEBLAB_TOKEN (your account page makes one)"
        else Ok o)

let getJson<'T> (http: HttpClient) (path: string) = task {
    let! response = http.GetAsync path
    let! body = response.Content.ReadAsStringAsync()
    if not response.IsSuccessStatusCode then failwith $"GET {path}: {int response.StatusCode} {body}"
    return JsonSerializer.Deserialize<'T>(body, json)
}

/// A sweep's points, or a single experiment as point 0 with no swept settings.
let pointsOf (detail: JobDetail) =
    match detail.Job.Kind, detail.Result with
    | "sweep", Some result -> result.Deserialize<SweepResult>(json).Points |> List.map (fun p -> p.Settings, p.Result)
    | "experiment", Some result -> [ (Map.empty, result.Deserialize<ExperimentResult>(json)) ]
    | kind, _ ->
        let job = $"{detail.Job.Id} is a {kind} job ({detail.Job.State})"
        failwith $"{job}; only experiments and sweeps that succeeded have results"

let rowsOf (detail: JobDetail) =
    [ for point, (settings, result) in pointsOf detail |> List.indexed do
          let accuracy arm seed =
              result.Arms
              |> List.tryFind (fun a -> a.Name = arm)
              |> Option.bind (fun a -> a.Runs |> List.tryFind (fun r -> r.Seed = seed))
              |> Option.map _.TestAccuracy
          for arm in result.Arms do
              for run in arm.Runs do
                  { Job = detail.Job; Point = point; Settings = settings; Result = result; Arm = arm.Name; Run = run
                    // this seed's gap: accuracy from scratch - with transfer = error with transfer - from scratch
                    SeedNtg = Option.map2 (-) (accuracy "scratch" run.Seed) (accuracy "transfer" run.Seed) } ]

let number (x: float) = x.ToString("G6", CultureInfo.InvariantCulture)

let optional format = Option.map format >> Option.defaultValue ""

let columns: (string * (Row -> string)) list =
    [ "job", _.Job.Id
      "kind", _.Job.Kind
      "job_name", _.Job.Name
      "point", (fun r -> string r.Point)
      "settings", (fun r -> r.Settings |> Seq.map (fun kv -> $"{kv.Key}={kv.Value}") |> String.concat ";")
      "target", _.Result.Target.Dataset
      "per_class", (fun r -> r.Result.Target.PerClass |> optional string)
      "source", (fun r -> r.Result.Source.Name |> Option.defaultValue r.Result.Source.Architecture)
      "arm", _.Arm
      "seed", (fun r -> string r.Run.Seed)
      "test_accuracy", (fun r -> number r.Run.TestAccuracy)
      "test_loss", (fun r -> number r.Run.TestLoss)
      "best_val_accuracy", (fun r -> number r.Run.BestValAccuracy)
      "best_epoch", (fun r -> string r.Run.BestEpoch)
      "seconds", (fun r -> number r.Run.Seconds)
      "ntg_seed", (fun r -> r.SeedNtg |> optional number)
      "ntg_mean", (fun r -> r.Result.Ntg |> optional (fun n -> number n.Mean))
      "ntg_ci95_low", (fun r -> r.Result.Ntg |> optional (fun n -> number n.Ci95[0]))
      "ntg_ci95_high", (fun r -> r.Result.Ntg |> optional (fun n -> number n.Ci95[1]))
      "ntg_seeds", (fun r -> r.Result.Ntg |> optional (fun n -> string n.N)) ]

let csvField (text: string) =
    if text.IndexOfAny [| ','; '"'; '\n'; '\r' |] >= 0 then "\"" + text.Replace("\"", "\"\"") + "\"" else text

let csvLine fields = fields |> Seq.map csvField |> String.concat ","

let main options = task {
    use http = new HttpClient(BaseAddress = Uri(options.Url + "/"), Timeout = TimeSpan.FromSeconds 30.0)
    http.DefaultRequestHeaders.Authorization <- Headers.AuthenticationHeaderValue("Bearer", options.Token)
    let! ids = task {
        match options.Job with
        | Some id -> return [ id ]
        | None ->
            let! jobs = getJson<Job list> http "/api/jobs?limit=1000"
            return
                jobs
                |> List.filter (fun j -> j.State = "succeeded" && (j.Kind = "experiment" || j.Kind = "sweep"))
                |> List.map _.Id
                |> List.rev // oldest first
    }
    // One job at a time: results with confusion matrices can be large, and the lab is shared.
    let details = ResizeArray<JobDetail>()
    for id in ids do
        let! detail = getJson<JobDetail> http $"/api/jobs/{id}"
        details.Add detail
    let rows = details |> Seq.collect rowsOf |> List.ofSeq
    let header = csvLine (List.map fst columns)
    let lines = header :: [ for row in rows -> csvLine [ for _, field in columns -> field row ] ]
    match options.Out with
    | Some path ->
        File.WriteAllLines(path, lines)
        printfn $"wrote {rows.Length} rows from {details.Count} job(s) to {path}"
    | None -> lines |> List.iter (printfn "%s")
    return 0
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
