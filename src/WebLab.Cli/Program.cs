using System.CommandLine;
using WebLab.Cli;
using WebLab.Cli.Verbs;

var root = new RootCommand("weblab - transfer learning for image classification, with a random-init baseline for every result.");
foreach (var verb in new[]
         {
             DemoVerb.Create(), DatasetsVerb.Create(), PretrainVerb.Create(), CheckpointsVerb.Create(), ImportVerb.Create(),
             ExportVerb.Create(), PredictVerb.Create(), EmbedVerb.Create(), ZooVerb.Create(), ExperimentVerb.Create(), SweepVerb.Create(), AnalyseVerb.CreateAnalyse(), AnalyseVerb.CreateRecommend(), StudyVerb.Create(),
             BenchVerb.Create(), BackupVerb.CreateBackup(), BackupVerb.CreateRestore(), WorkerVerb.Create(), DevicesVerb.Create(), UsersVerb.CreateUsers(), UsersVerb.CreateTokens(), UsersVerb.CreateEvents(),
         })
    root.Subcommands.Add(verb);
return await Cli.InvokeAsync(root, args);
