using WebLab.Web.Access;

namespace WebLab.Web.Study;

/// <summary>
/// The study's SVG plots at /validation/plots/{file}: only the files study.json names, from the study folder, as image/svg+xml.
/// An SVG can carry scripts. The page shows plots with &lt;img&gt;, which never runs them; this response's own policy (nothing
/// loads, and a sandbox with no origin) also stops them when someone opens a plot's address as a document.
/// </summary>
internal static class StudyPlots
{
    public const string Route = "/validation/plots";

    private const string ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; sandbox";

    public static void MapStudyPlots(this IEndpointRouteBuilder app) =>
        app.MapGet(Route + "/{file}", (string file, StudyResults study, HttpContext context) =>
            {
                if (study.PlotPath(file) is not { } path)
                    return Results.NotFound();
                context.Response.Headers.CacheControl = "no-cache"; // a new study shows at once; Last-Modified keeps revalidation cheap
                return Results.File(path, "image/svg+xml", lastModified: File.GetLastWriteTimeUtc(path));
            })
            .WithMetadata(new OwnContentSecurityPolicy(ContentSecurityPolicy)) // UseSecurityHeaders sets it
            .ExcludeFromDescription();

    /// <summary>The address of a plot (its name escaped).</summary>
    public static string Url(string file) => $"{Route}/{Uri.EscapeDataString(file)}";
}
