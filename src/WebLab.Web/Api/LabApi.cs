namespace WebLab.Web.Api;

internal static class LabApi
{
    /// <summary>Maps every endpoint under /api.</summary>
    public static void MapLabApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        JobsApi.Map(api);
        DatasetsApi.Map(api);
        CheckpointsApi.Map(api);
        MisclassifiedApi.Map(api);
        api.MapGet("/presets", () => Results.Ok(WebLab.Transfer.Presets.All.Select(p => new
            {
                p.Id, p.Version, p.Tag, p.Title, p.Summary, p.Rationale, p.Cites, p.Region, p.Dials, p.BySize,
                // The dials as an experiment would run them for a 100-image target (after the size bands).
                dialsFor100Images = p.DialsFor(100),
            })))
            .WithTags("Lab").WithSummary("The preset library: each preset's dials, size bands, region of the size x similarity plane and rationale with the field-guide sections it cites.");
        api.MapGet("/health", () => Results.Ok(new { status = "ok" })).WithTags("Lab").ExcludeFromDescription().AllowAnonymous();
    }
}
