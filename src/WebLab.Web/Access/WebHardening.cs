using Microsoft.AspNetCore.Antiforgery;

namespace WebLab.Web.Access;

/// <summary>
/// What a browser must not be tricked into: other websites acting on a lab with a member's cookie (a cross-origin
/// write, or a page opening the hub or a Blazor circuit), the lab's pages framed by another site, and content sniffed
/// into something it is not.
/// </summary>
internal static class WebHardening
{
    // MudBlazor sets inline styles, so style-src allows them; scripts come only from the lab itself.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
        "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            // Replaces whatever was set before (Blazor's own frame-ancestors); an endpoint that is not a page (a study plot) names a stricter one.
            headers.ContentSecurityPolicy = context.GetEndpoint()?.Metadata.GetMetadata<OwnContentSecurityPolicy>()?.Policy ?? ContentSecurityPolicy;
            headers["Referrer-Policy"] = "same-origin";
            return Task.CompletedTask;
        });
        return next(context);
    });

    /// <summary>
    /// Refuses (403) a write, or any request to the hub or a Blazor circuit, whose Origin is another site; and an API
    /// write that rides on the session cookie without the antiforgery token (API clients send a Bearer token, which
    /// no other site can make a browser send).
    /// </summary>
    public static IApplicationBuilder UseCrossSiteGuard(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        var write = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
        var live = request.Path.StartsWithSegments(Hubs.JobsHub.Path) || request.Path.StartsWithSegments("/_blazor");
        if ((write || live) && request.Headers.Origin.ToString() is { Length: > 0 } origin && !SameOrigin(origin, request))
        {
            await Refuse(context, $"A request from {origin} cannot act on this lab (cross-origin).");
            return;
        }
        if (write && request.Path.StartsWithSegments("/api") && !BearerHandler.HasToken(request) && context.User.Identity?.IsAuthenticated == true
            && !await context.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(context))
        {
            await Refuse(context, "A write with the session cookie needs the antiforgery token; scripts use an API token (Authorization: Bearer).");
            return;
        }
        await next(context);
    });

    private static bool SameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);

    private static Task Refuse(HttpContext context, string message) =>
        Results.Problem(message, statusCode: StatusCodes.Status403Forbidden, title: "Cross-site request refused").ExecuteAsync(context);
}

/// <summary>Endpoint metadata: the Content-Security-Policy this endpoint's responses carry instead of the pages' one.</summary>
internal sealed record OwnContentSecurityPolicy(string Policy);
