using WebLab.Web.Study;

namespace WebLab.Web.Components.Pages;

/// <summary>The page's state; the markup is in Validation.razor, the rows come from <see cref="StudyView"/>.</summary>
public sealed partial class Validation
{
    private StudyView? _view;
    private string? _problem;

    protected override void OnInitialized()
    {
        var read = Study.Read();
        _view = read.Summary is { } summary ? StudyView.Of(summary, Study.HasPlot) : null;
        _problem = read.Problem;
    }
}
