using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using WebLab.Checkpoints;
using WebLab.Data;
using WebLab.Lab.Storage;
using WebLab.Lab.Workers;
using WebLab.Training;
using WebLab.Transfer;

namespace WebLab.Cli.Verbs;

/// <summary>
/// weblab worker --job FILE: runs one lab job in this process and speaks the worker protocol (JSON lines on
/// stdout, commands on stdin, exit codes of <see cref="WorkerExit"/>). Started by the lab, not by people.
/// </summary>
internal static class WorkerVerb
{
    public static Command Create()
    {
        var job = new Option<string>("--job") { Description = "the job file written by the lab", Required = true };
        var command = new Command("worker", "Run one lab job (started by the lab; speaks JSON lines on stdout).") { job };
        command.Hidden = true;
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(parse.GetRequiredValue(job), cancellationToken)));
        return command;
    }

    private static int Run(string jobFile, CancellationToken terminate)
    {
        using var output = new Emitter(Console.Out);
        var control = new RunControl();
        using var cancel = new CancellationTokenSource();
        int interrupted = 0;
        void Interrupt()
        {
            Interlocked.Exchange(ref interrupted, 1);
            cancel.Cancel();
        }
        using var onTerminate = terminate.Register(Interrupt);
        using var onSigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true; // stop at the next batch, then exit 75
            Interrupt();
        });
        var commands = new Thread(() =>
        {
            while (Console.In.ReadLine() is { } line)
            {
                switch (line.Trim())
                {
                    case WorkerCommands.Stop:
                        control.RequestStop();
                        break;
                    case WorkerCommands.Cancel:
                        cancel.Cancel();
                        break;
                    case WorkerCommands.Interrupt:
                        Interrupt();
                        break;
                }
            }
            Interrupt(); // stdin closed: the lab is gone; stop rather than train for nobody
        }) { IsBackground = true, Name = "worker commands" };
        commands.Start();

        try
        {
            var job = WebLabJson.Deserialize<WorkerJob>(File.ReadAllText(jobFile), jobFile);
            var result = job.Kind switch
            {
                "experiment" => Experiment(job, output, control, cancel.Token),
                "sweep" => Sweep(job, output, control, cancel.Token),
                "pretrain" => Pretrain(job, output, control, cancel.Token),
                "ingest" => Ingest(job, output, cancel.Token),
                "import" => Import(job),
                "predict" => Predict(job),
                "analyse" => Analyse(job, output, cancel.Token),
                _ => throw new BadInputException($"unknown job kind '{job.Kind}'"),
            };
            output.Send(result);
            return WorkerExit.Succeeded;
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return Volatile.Read(ref interrupted) == 1 ? WorkerExit.Interrupted : WorkerExit.Cancelled;
        }
        catch (BadInputException e)
        {
            output.Send(new WorkerFailure(e.Message, Retryable: false));
            return WorkerExit.BadInput;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            output.Send(new WorkerFailure($"{e.GetType().Name}: {e.Message}", Retryable: true));
            return WorkerExit.Failed;
        }
    }

    private static T Spec<T>(WorkerJob job) => WebLabJson.Deserialize<T>(job.Spec.GetRawText(), $"{job.Kind} spec of {job.JobId}");

    private static WorkerResult Experiment(WorkerJob job, Emitter output, RunControl control, CancellationToken cancellationToken)
    {
        var spec = Spec<ExperimentSpec>(job);
        var result = Training.Experiment.Run(spec, new InlineProgress<ExperimentEvent>(e => output.Experiment(e, 0, 1, null)), control,
            Cli.Files(noInstall: false), cancellationToken);
        RenderMisclassified(spec, result, job.OutputDirectory, output, cancellationToken);
        return new WorkerResult(Element(result), CheckpointOf(result.Checkpoint));
    }

    /// <summary>
    /// PNGs of the misclassified test images the result lists per confusion cell, into the job's folder before the
    /// result is sent, so they exist once the job has succeeded; the web process only serves the files. Not worth
    /// failing an experiment over: a problem here is logged and the job page shows the item ids alone.
    /// </summary>
    private static void RenderMisclassified(ExperimentSpec spec, ExperimentResult result, string outputDirectory, Emitter output,
        CancellationToken cancellationToken)
    {
        var ids = result.Arms.SelectMany(a => a.Runs).SelectMany(r => r.ConfusionCells.Values).SelectMany(v => v).Distinct().ToList();
        if (ids.Count == 0)
            return;
        try
        {
            using var dataset = DatasetLoader.Load(spec.Target, new DatasetLoadOptions(Files: Cli.Files(noInstall: false)),
                cancellationToken: cancellationToken);
            var written = ItemImages.Write(dataset, ids, Path.Combine(outputDirectory, DataFolder.ItemImagesFolder), cancellationToken);
            output.Event("log", new { level = "info", message = $"rendered {written} misclassified test images" });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            output.Event("log", new { level = "warning", message = $"the misclassified test images were not rendered: {e.Message}" });
        }
    }

    private static WorkerResult Sweep(WorkerJob job, Emitter output, RunControl control, CancellationToken cancellationToken)
    {
        var spec = Spec<SweepSpec>(job);
        var result = Sweeps.Run(spec, new InlineProgress<SweepProgress>(p => output.Experiment(p.Event, p.Point, p.Points, p.Settings)), control,
            Cli.Files(noInstall: false), cancellationToken);
        return new WorkerResult(Element(result));
    }

    private static WorkerResult Pretrain(WorkerJob job, Emitter output, RunControl control, CancellationToken cancellationToken)
    {
        var spec = Spec<PretrainSpec>(job);
        var result = Pretrainer.Run(spec,
            new InlineProgress<TrainingProgress>(p => output.Event("progress", p,
                new JobProgress(p.Fraction, p.EtaSeconds, p.ImagesPerSecond, $"epoch {p.Epoch}/{p.Epochs}"), Emitter.MetricOf(p, 0))),
            new InlineProgress<string>(s => output.Event("log", new { level = "info", message = s })),
            control, Cli.Files(noInstall: false), cancellationToken);
        return new WorkerResult(Element(result), new OutputCheckpoint(result.Checkpoint, Element(result.Info)));
    }

    private static WorkerResult Ingest(WorkerJob job, Emitter output, CancellationToken cancellationToken)
    {
        var spec = Spec<WebLab.Lab.Workers.IngestSpec>(job);
        var manifest = DatasetReport.Build(spec.Path, spec.ThumbnailDirectory, status: new InlineProgress<string>(s =>
            output.Event("log", new { level = "info", message = s })), cancellationToken: cancellationToken);
        return new WorkerResult(Element(manifest));
    }

    private static WorkerResult Analyse(WorkerJob job, Emitter output, CancellationToken cancellationToken)
    {
        var spec = Spec<AnalysisSpec>(job);
        var analysis = Analysis.Run(spec, new InlineProgress<string>(s => output.Event("log", new { level = "info", message = s })),
            Cli.Files(noInstall: false), cancellationToken);
        return new WorkerResult(Element(new AnalysisReport(analysis, Recommender.Recommend(analysis))));
    }

    private static WorkerResult Import(WorkerJob job)
    {
        var spec = Spec<ImportSpec>(job);
        var info = CheckpointImporter.Import(spec.SafetensorsPath, spec.Output,
            new ImportOptions(spec.Architecture, spec.InputSize, spec.ClassNames, spec.Mean, spec.Std, spec.Name, spec.SourceDataset));
        return new WorkerResult(Element(info), new OutputCheckpoint(spec.Output, Element(info)));
    }

    private static WorkerResult Predict(WorkerJob job)
    {
        var spec = Spec<PredictSpec>(job);
        using var predictor = new Predictor(spec.CheckpointPath, job.Device);
        var scores = predictor.Predict(File.ReadAllBytes(spec.ImagePath), spec.ImageName, spec.TopK);
        return new WorkerResult(Element(new { image = spec.ImageName, checkpoint = predictor.Info.Name, top = scores }));
    }

    private static OutputCheckpoint? CheckpointOf(string? path) =>
        path is not null && File.Exists(path) ? new OutputCheckpoint(path, Element(Checkpoint.ReadInfo(path))) : null;

    internal static JsonElement Element<T>(T value) => JsonSerializer.SerializeToElement(value, WebLabJson.Compact);

    /// <summary>Writes protocol lines (one JSON object per line, whole lines only) and a keep-alive every few seconds.</summary>
    private sealed class Emitter : IDisposable
    {
        private readonly TextWriter _out;
        private readonly Lock _gate = new();
        private readonly Timer _alive;

        public Emitter(TextWriter output)
        {
            _out = output;
            _alive = new Timer(_ => Send(new WorkerAlive()), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
        }

        public void Send(WorkerMessage message)
        {
            var line = JsonSerializer.Serialize(message, WebLabJson.Compact);
            lock (_gate)
            {
                _out.WriteLine(line);
                _out.Flush();
            }
        }

        public void Event<T>(string type, T payload, JobProgress? progress = null, WorkerMetric? metric = null) =>
            Send(new WorkerEvent(type, Element(payload), progress, metric));

        /// <summary>An experiment's event (of sweep point <paramref name="point"/> of <paramref name="points"/>).</summary>
        public void Experiment(ExperimentEvent e, int point, int points, IReadOnlyDictionary<string, string>? settings)
        {
            string? type = e switch
            {
                ExperimentStarted => "started",
                ProbeFinished => "probe",
                TrainingUpdate => "progress",
                RunFinished => "run",
                _ => null, // the finished experiment travels as the result (or as the sweep's next point)
            };
            if (type is null && settings is null)
                return;
            object payload = settings is null ? e : new { point, points, settings, @event = (object)e };
            JobProgress? progress = null;
            WorkerMetric? metric = null;
            if (e is TrainingUpdate update)
            {
                var p = update.Progress;
                var prefix = points > 1 ? $"point {point + 1}/{points}: " : "";
                progress = new JobProgress((point + update.OverallFraction) / points, update.OverallEtaSeconds, p.ImagesPerSecond,
                    $"{prefix}{p.Arm}, seed {p.Seed}, epoch {p.Epoch}/{p.Epochs}");
                metric = MetricOf(p, point);
            }
            Event(settings is null ? type! : "point-" + (type ?? "finished"), payload, progress, metric);
        }

        public static WorkerMetric? MetricOf(TrainingProgress p, int point) => p.EpochEnd
            ? new WorkerMetric(point, p.Arm, p.Seed, p.Epoch, Element(new
            {
                trainLoss = p.TrainLoss,
                lossParts = p.LossParts,
                trainAccuracy = p.TrainAccuracy,
                valAccuracy = p.ValAccuracy,
                learningRate = p.LearningRate,
                imagesPerSecond = p.ImagesPerSecond,
                elapsedSeconds = p.ElapsedSeconds,
            }))
            : null;

        public void Dispose() => _alive.Dispose();
    }
}
