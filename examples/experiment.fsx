// A small transfer experiment in this process, through WebLab.Core: Fashion-MNIST classes 5-9 (Sandal, Shirt, Sneaker,
// Bag, Ankle boot) from a source trained on classes 0-4 (T-shirt..Coat), fine-tuned next to the same model from random
// initialisation. Prints progress and the negative transfer gap (NTG = test error with transfer - test error from
// scratch; below zero: it helped).
//
// Usage (build first: dotnet build WebLab.sln -c Release):
//   dotnet fsi examples/experiment.fsx
//   dotnet fsi examples/experiment.fsx --source data/checkpoints/fashion-mnist-0-4-resnet8.weblab --per-class 20
//       --seeds 3 --epochs 30         (the demo source that `weblab demo` writes; the gap then means something)
// Options (the defaults finish in well under a minute on 2 CPU cores):
//   --source F.weblab   source checkpoint; without it a tiny one is pretrained first (resnet8, Fashion-MNIST 0-4)
//                       and deleted at the end. A few hundred images and three epochs make a gap that is mostly noise.
//   --per-class N (10)  --seeds N (1)  --epochs N (3)  --pretrain-per-class N (200)  --pretrain-epochs N (1)
//   --device auto|cpu|cuda (auto)
//
// Native libraries: TorchSharp looks for libtorch in runtimes/linux-x64/native beside TorchSharp.dll, so referencing
// the built bin folder is all it takes (no LD_LIBRARY_PATH); the libLibTorchSharp.so there is the build's patched copy.
// WebLab.Core sets glibc's malloc thresholds when it loads; for the same from process start, set
// GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=17179869184

#I "../src/WebLab.Cli/bin/Release/net10.0"
#r "TorchSharp.dll"
#r "WebLab.Core.dll"

open System
open System.IO
open System.Threading
open WebLab
open WebLab.Training
open WebLab.Transfer

type Options =
    { Source: string option
      PerClass: int
      Seeds: int
      Epochs: int
      PretrainPerClass: int
      PretrainEpochs: int
      Device: string }

let defaults =
    { Source = None; PerClass = 10; Seeds = 1; Epochs = 3; PretrainPerClass = 200; PretrainEpochs = 1; Device = "auto" }

let parse (argv: string list) =
    let (|Count|_|) (text: string) =
        match Int32.TryParse text with
        | true, n when n > 0 -> Some n
        | _ -> None
    let rec go options =
        function
        | [] -> Ok options
        | "--source" :: path :: rest -> go { options with Source = Some path } rest
        | "--device" :: device :: rest -> go { options with Device = device } rest
        | "--per-class" :: Count n :: rest -> go { options with PerClass = n } rest
        | "--seeds" :: Count n :: rest -> go { options with Seeds = n } rest
        | "--epochs" :: Count n :: rest -> go { options with Epochs = n } rest
        | "--pretrain-per-class" :: Count n :: rest -> go { options with PretrainPerClass = n } rest
        | "--pretrain-epochs" :: Count n :: rest -> go { options with PretrainEpochs = n } rest
        | other :: _ -> Error $"unexpected argument (or a bad value after it): '{other}'"
    go defaults argv

let percent (fraction: float) = $"%.1f{100.0 * fraction}%%"

let progressOf (report: 'T -> unit) = { new IProgress<'T> with member _.Report value = report value }

/// A throwaway source so the example needs nothing but Fashion-MNIST.
let pretrainTinySource options (cancel: CancellationToken) =
    let output = Path.Combine(Path.GetTempPath(), $"weblab-example-source-{Environment.ProcessId}.weblab")
    printfn $"pretraining a tiny source: resnet8 on Fashion-MNIST 0-4, {options.PretrainPerClass} per class"
    let spec =
        PretrainSpec("fashion-mnist", [| "0"; "1"; "2"; "3"; "4" |], "resnet8", output, Epochs = options.PretrainEpochs,
                     PerClass = options.PretrainPerClass, Device = options.Device, Name = "tiny example source")
    let epochEnd (p: TrainingProgress) =
        if p.EpochEnd then
            let validation = percent (p.ValAccuracy.GetValueOrDefault())
            printfn $"  epoch {p.Epoch}/{p.Epochs}: loss {p.TrainLoss:F3}, val {validation}"
    let result = Pretrainer.Run(spec, progressOf epochEnd, progressOf (printfn "  %s"), cancellationToken = cancel)
    printfn $"  source test accuracy {percent result.Test.Accuracy} ({result.Seconds:F1} s)"
    output

let printEvent (event: ExperimentEvent) =
    match event with
    | :? ExperimentStarted as s ->
        let t = s.Target
        printfn $"started '{s.Name}' on {s.Device}: {t.TrainSize} train / {t.ValSize} val / {t.TestSize} test images"
        s.Warnings |> Seq.iter (printfn "  warning: %s")
    | :? ProbeFinished as p ->
        printfn $"probe (linear head on frozen source features): test accuracy {percent p.Probe.TestAccuracy}"
    | :? TrainingUpdate as u when u.Progress.EpochEnd ->
        let p = u.Progress
        let eta = if u.OverallEtaSeconds.HasValue then $"{u.OverallEtaSeconds.Value:F0} s" else "?"
        let validation = percent (p.ValAccuracy.GetValueOrDefault())
        let overall = $"{percent u.OverallFraction} of the experiment, eta {eta}"
        printfn $"  {p.Arm,-8} seed {p.Seed} epoch {p.Epoch}/{p.Epochs}: val {validation} | {overall}"
    | :? RunFinished as r -> printfn $"{r.Arm} seed {r.Seed}: test accuracy {percent r.TestAccuracy} ({r.Seconds:F1} s)"
    | _ -> ()

let experiment options source (cancel: CancellationToken) =
    let spec =
        ExperimentSpec("fashion-mnist", source, [| "5"; "6"; "7"; "8"; "9" |], PerClass = options.PerClass,
                       Seeds = options.Seeds, Transfer = TransferDials(Epochs = options.Epochs),
                       Device = options.Device, Name = $"Fashion-MNIST 0-4 -> 5-9, {options.PerClass} per class")
    let result = Experiment.Run(spec, progressOf printEvent, cancellationToken = cancel)
    for arm in result.Arms do
        printfn $"{arm.Name,-8} test accuracy {percent arm.TestAccuracy.Mean} over {arm.Runs.Count} seed(s)"
    match result.Ntg with
    | null -> printfn "NTG: none (the random-init arm did not run)"
    | ntg -> printfn $"NTG: %+.1f{100.0 * ntg.Mean} points - {ntg.Sentence()}"
    printfn $"done in {result.Seconds:F1} s"

let run options cancel =
    match options.Source with
    | Some source -> experiment options source cancel
    | None ->
        let source = pretrainTinySource options cancel
        try experiment options source cancel finally File.Delete source

let main () =
    match parse (List.ofArray fsi.CommandLineArgs |> List.tail) with
    | Error message ->
        eprintfn $"error: {message}"
        2
    | Ok options ->
        use cancel = new CancellationTokenSource()
        Console.CancelKeyPress.Add(fun e ->
            e.Cancel <- true // let the run stop at the next batch
            cancel.Cancel())
        try
            run options cancel.Token
            0
        with
        | :? BadInputException as e ->
            eprintfn $"error: {e.Message}"
            2
        | :? OperationCanceledException ->
            eprintfn "cancelled"
            130

exit (main ())
