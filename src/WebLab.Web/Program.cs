using WebLab.Web;

LabHost.Build(args).Run();
