using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using WebLab.Lab.Access;

namespace WebLab.Web.Access;

/// <summary>
/// Who is asking, for every request: a Bearer API token (curl, F# scripts, the hub's access_token) or the session
/// cookie of a signed-in page. Everything needs one of them except signing in; an open demo lab (explicitly
/// configured) gives each new browser a guest session instead.
/// </summary>
public static class LabAuthentication
{
    public const string Scheme = "weblab";
    public const string BearerScheme = "Bearer";
    public const string UserIdClaim = "weblab:user";
    public const string TokenIdClaim = "weblab:token";

    /// <summary>A guest of an open demo lab: no account row behind it.</summary>
    public const string VisitorClaim = "weblab:visitor";

    public const string LoginPath = "/account/login";

    public static IServiceCollection AddLabAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Bearer token or session cookie", o =>
                o.ForwardDefaultSelector = c => BearerHandler.HasToken(c.Request) ? BearerScheme : CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o =>
            {
                o.Cookie.Name = "weblab-session";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax; // with antiforgery on forms and the Origin check on API writes
                o.ExpireTimeSpan = TimeSpan.FromDays(14);
                o.SlidingExpiration = true;
                o.LoginPath = LoginPath;
                o.EventsType = typeof(SessionEvents);
            })
            .AddScheme<AuthenticationSchemeOptions, BearerHandler>(BearerScheme, null);
        services.AddScoped<SessionEvents>();
        services.AddAuthorization(o => o.FallbackPolicy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingLabState>();
        return services;
    }

    /// <summary>The principal of a user (with the API token it came with, if any).</summary>
    public static ClaimsPrincipal Principal(UserRecord user, string scheme, string? tokenId = null)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, user.Name),
            new(ClaimTypes.Role, Roles.Text(user.Role)),
            new(UserIdClaim, user.Id),
        };
        if (tokenId is not null)
            claims.Add(new Claim(TokenIdClaim, tokenId));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }

    /// <summary>A guest of an open demo lab, named by a random id (nobody can claim another's name).</summary>
    public static ClaimsPrincipal Visitor(string name) => new(new ClaimsIdentity(
        [new(ClaimTypes.Name, name), new(ClaimTypes.Role, Roles.Text(Role.Guest)), new(VisitorClaim, "1")],
        CookieAuthenticationDefaults.AuthenticationScheme));

    /// <summary>The caller a principal stands for; null when nobody is signed in.</summary>
    public static Caller? CallerOf(ClaimsPrincipal principal) =>
        principal.Identity is { IsAuthenticated: true, Name: { } name } && Roles.Parse(principal.FindFirstValue(ClaimTypes.Role)) is { } role
            ? new Caller(name, role) : null;

    /// <summary>True for requests answered with status codes rather than pages (no redirect to the sign-in page).</summary>
    public static bool IsApi(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments(Hubs.JobsHub.Path);
}

/// <summary>Role names as claims and forms write them.</summary>
public static class Roles
{
    public const string Admin = "admin";

    public static string Text(Role role) => role.ToString().ToLowerInvariant();

    public static Role? Parse(string? text) => Enum.TryParse<Role>(text, ignoreCase: true, out var role) && !int.TryParse(text, out _) ? role : null;
}

/// <summary>
/// An open demo lab: a browser that is not signed in becomes a guest with a random name, kept in its session cookie.
/// New guests per IP address are limited (30 an hour), so dropping the cookie does not buy a fresh quota at will.
/// </summary>
internal static class OpenDemoVisitors
{
    public static IApplicationBuilder UseOpenDemoVisitors(this IApplicationBuilder app)
    {
        var newVisitors = PartitionedRateLimiter.Create<HttpContext, string>(c => RateLimitPartition.GetFixedWindowLimiter(
            c.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions { PermitLimit = 30, Window = TimeSpan.FromHours(1) }));
        return app.Use((context, next) => VisitAsync(context, next, newVisitors));
    }

    private static async Task VisitAsync(HttpContext context, RequestDelegate next, PartitionedRateLimiter<HttpContext> newVisitors)
    {
        if (context.User.Identity?.IsAuthenticated != true && !BearerHandler.HasToken(context.Request))
        {
            using var lease = newVisitors.AttemptAcquire(context);
            if (!lease.IsAcquired)
            {
                await Results.Problem("Too many new visitors from your address; keep your cookies, or try again in an hour.",
                    statusCode: StatusCodes.Status429TooManyRequests, title: "Slow down").ExecuteAsync(context);
                return;
            }
            var visitor = LabAuthentication.Visitor(UserNames.GuestPrefix + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(5)));
            await context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, visitor);
            context.User = visitor;
        }
        await next(context);
    }
}
