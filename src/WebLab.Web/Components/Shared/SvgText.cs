using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace WebLab.Web.Components.Shared;

/// <summary>An SVG &lt;text&gt; element (Razor reserves the text tag); the content is always rendered as text.</summary>
public sealed class SvgText : ComponentBase
{
    [Parameter] public double X { get; set; }
    [Parameter] public double Y { get; set; }
    [Parameter] public string? Anchor { get; set; }
    [Parameter] public string? Transform { get; set; }
    [Parameter] public string? Text { get; set; }

    protected override void BuildRenderTree(RenderTreeBuilder builder)
    {
        builder.OpenElement(0, "text");
        if (Transform is null)
        {
            builder.AddAttribute(1, "x", X.ToString("0.#", CultureInfo.InvariantCulture));
            builder.AddAttribute(2, "y", Y.ToString("0.#", CultureInfo.InvariantCulture));
        }
        else
        {
            builder.AddAttribute(3, "transform", Transform);
        }
        if (Anchor is not null)
            builder.AddAttribute(4, "text-anchor", Anchor);
        builder.AddContent(5, Text);
        builder.CloseElement();
    }
}
