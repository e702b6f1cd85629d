using WebLab.Web;

var app = LabHost.Build(args);
app.Run();

/// <summary>Entry point type, for WebApplicationFactory.</summary>
public partial class Program;
