using System.CommandLine;
using WebLab.Cli.Verbs;
using WebLab.Training;

namespace WebLab.Web.Tests;

/// <summary>How `weblab experiment` turns dial options into a spec.</summary>
public sealed class DialOptionsTests
{
    [Fact]
    public void WithAPreset_OnlyTheOptionsGiven_BecomeOverrides()
    {
        // Switches that were not given (--no-nesterov, --zero-head, --linear-probe...) must not reset the preset's own values:
        // linear-probe freezes the body, bit-hyperrule turns Nesterov off and zeroes the head.
        var options = new DialOptions();
        var command = new RootCommand();
        foreach (var option in options.All)
            command.Options.Add(option);
        var spec = new ExperimentSpec("fashion-mnist", "source.weblab", Preset: "linear-probe");

        var given = options.Apply(command.Parse(["--steps", "7", "--crop", "precrop", "--zero-head"]), spec);
        Assert.Equal(new Dictionary<string, string> { ["steps"] = "7", ["crop"] = "precrop", ["zeroHead"] = "true" }, given.Overrides);

        var none = options.Apply(command.Parse([]), spec);
        Assert.Empty(none.Overrides ?? new Dictionary<string, string>());
    }
}
