using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using WebLab.Lab.Access;

namespace WebLab.Web.Access;

/// <summary>
/// The session cookie's rules: API and hub requests get status codes instead of the sign-in page, and each request
/// checks that the account still exists, is enabled and has the role the cookie says (a disabled user is out at once).
/// </summary>
internal sealed class SessionEvents(UserStore users) : CookieAuthenticationEvents
{
    public override Task RedirectToLogin(RedirectContext<CookieAuthenticationOptions> context) =>
        LabAuthentication.IsApi(context.Request)
            ? Results.Problem("Sign in first: send an API token (Authorization: Bearer wl_...) or use the lab's pages.",
                statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in").ExecuteAsync(context.HttpContext)
            : base.RedirectToLogin(context);

    public override Task RedirectToAccessDenied(RedirectContext<CookieAuthenticationOptions> context) =>
        LabAuthentication.IsApi(context.Request)
            ? Results.Problem("Your role does not allow this.", statusCode: StatusCodes.Status403Forbidden, title: "Forbidden").ExecuteAsync(context.HttpContext)
            : base.RedirectToAccessDenied(context);

    public override async Task ValidatePrincipal(CookieValidatePrincipalContext context)
    {
        if (context.Principal is not { } principal || principal.HasClaim(c => c.Type == LabAuthentication.VisitorClaim))
            return;
        var id = principal.FindFirst(LabAuthentication.UserIdClaim)?.Value;
        var user = id is null ? null : await users.GetAsync(id, context.HttpContext.RequestAborted);
        if (user is { Disabled: false } && LabAuthentication.CallerOf(principal)?.Role == user.Role)
            return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }
}
