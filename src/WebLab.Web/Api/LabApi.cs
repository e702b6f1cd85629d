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
        api.MapGet("/health", () => Results.Ok(new { status = "ok" })).WithTags("Lab").ExcludeFromDescription();
    }
}
