using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using WebLab.Lab.Access;
using WebLab.Web.Api;

namespace WebLab.Web.Access;

/// <summary>
/// Signing in and out: the page forms post here (antiforgery-checked, as every form-bound endpoint is), sign-in links
/// land here, and the API lists, makes and revokes a person's tokens.
/// </summary>
internal static class AccountEndpoints
{
    public static void MapAccount(this IEndpointRouteBuilder app)
    {
        var account = app.MapGroup("/account").ExcludeFromDescription();
        account.MapPost("/login", LoginAsync).AllowAnonymous().RequireRateLimiting(LabLimits.Login);
        account.MapPost("/register", RegisterAsync).AllowAnonymous().RequireRateLimiting(LabLimits.Login);
        account.MapGet(SignInLinks.Path["/account".Length..], LinkAsync).AllowAnonymous().RequireRateLimiting(LabLimits.Login);
        account.MapPost("/logout", (Delegate)LogoutAsync);
        account.MapPost("/password", PasswordAsync);

        var api = app.MapGroup("/api").WithTags("Account");
        api.MapGet("/me", MeAsync).WithSummary("Who you are (name, role) and your use of the lab against your quotas.");
        api.MapGet("/tokens", TokensAsync).WithSummary("Your API tokens: name, created, last used, revoked (never the secret).");
        api.MapPost("/tokens", CreateTokenAsync).WithSummary("Make an API token; its secret is in this answer only.");
        api.MapDelete("/tokens/{id}", RevokeAsync).WithSummary("Revoke one of your tokens: refused from its next request on, open hub connections included.");
    }

    private static async Task<IResult> LoginAsync(HttpContext context, [FromForm] string? name, [FromForm] string? password, [FromForm] string? returnUrl,
        UserStore users)
    {
        var user = name is null || password is null ? null : await users.VerifyPasswordAsync(name, password, context.RequestAborted);
        if (user is null)
            return Results.Redirect($"{LabAuthentication.LoginPath}?error=password&returnUrl={Uri.EscapeDataString(LocalOrHome(returnUrl))}");
        await SignInAsync(context, user);
        return Results.LocalRedirect(LocalOrHome(returnUrl));
    }

    private static async Task<IResult> RegisterAsync(HttpContext context, [FromForm] string? name, [FromForm] string? password, [FromForm] string? code,
        UserStore users)
    {
        if (await users.RedeemEventCodeAsync(code ?? "", context.RequestAborted) is not { } role)
            return RegisterError("code");
        try
        {
            var user = await users.AddAsync((name ?? "").Trim(), role, password ?? "", context.RequestAborted);
            await SignInAsync(context, user);
            return Results.LocalRedirect("/");
        }
        catch (BadInputException e)
        {
            return RegisterError(e is ConflictNameException ? "taken" : "invalid", e.Message);
        }
    }

    private static IResult RegisterError(string error, string? message = null) =>
        Results.Redirect($"/account/register?error={error}" + (message is null ? "" : $"&message={Uri.EscapeDataString(message)}"));

    private static async Task<IResult> LinkAsync(HttpContext context, string? token, UserStore users)
    {
        if (token is null || await users.AuthenticateAsync(token, TokenPurpose.Link, context.RequestAborted) is not { } found)
            return Results.Redirect($"{LabAuthentication.LoginPath}?error=link");
        await SignInAsync(context, found.User);
        return Results.LocalRedirect(found.User.PasswordHash is null ? "/account?welcome=true" : "/");
    }

    private static async Task<IResult> LogoutAsync(HttpContext context)
    {
        await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return Results.LocalRedirect(LabAuthentication.LoginPath);
    }

    private static async Task<IResult> PasswordAsync(HttpContext context, [FromForm] string? current, [FromForm] string? password, UserStore users)
    {
        if (await CurrentAsync(context, users) is not { } user)
            return Results.Unauthorized();
        // Someone who picked up an open session must not lock its owner out: changing a password takes the old one
        // (a first password, after a sign-in link, has none to give).
        if (user.PasswordHash is not null && await users.VerifyPasswordAsync(user.Name, current ?? "", context.RequestAborted) is null)
            return Results.LocalRedirect($"/account?error={Uri.EscapeDataString("The current password is wrong; nothing was changed.")}");
        try
        {
            await users.SetPasswordAsync(user, password ?? "", context.RequestAborted);
            return Results.LocalRedirect("/account?password=saved");
        }
        catch (BadInputException e)
        {
            return Results.LocalRedirect($"/account?error={Uri.EscapeDataString(e.Message)}");
        }
    }

    private static async Task<IResult> MeAsync(HttpContext context, Quotas quotas)
    {
        var caller = Users.Of(context);
        return Results.Ok(new { caller.Name, role = Roles.Text(caller.Role), usage = await quotas.UsageAsync(caller, context.RequestAborted) });
    }

    private static async Task<IResult> TokensAsync(HttpContext context, UserStore users) =>
        await CurrentAsync(context, users) is { } user ? Results.Ok(await users.TokensAsync(user.Id, context.RequestAborted))
            : Problems.Forbidden("A guest of the open demo has no tokens.");

    /// <summary>The name of a new token.</summary>
    public sealed record NewToken(string? Name);

    private static async Task<IResult> CreateTokenAsync(HttpContext context, NewToken request, UserStore users)
    {
        if (await CurrentAsync(context, users) is not { } user)
            return Problems.Forbidden("A guest of the open demo has no tokens.");
        // A token cannot make tokens: revoking a stolen one must be the end of it.
        if (context.User.HasClaim(c => c.Type == LabAuthentication.TokenIdClaim))
            return Problems.Forbidden("Make new tokens on your account page (signed in), not with a token.");
        var (token, secret) = await users.CreateTokenAsync(user, TokenPurpose.Api, request.Name ?? "api", cancellationToken: context.RequestAborted);
        return Results.Created($"/api/tokens/{token.Id}", new { token, secret });
    }

    private static async Task<IResult> RevokeAsync(string id, HttpContext context, UserStore users) =>
        await CurrentAsync(context, users) is { } user && await users.RevokeAsync(id, user.Id, context.RequestAborted)
            ? Results.NoContent() : Problems.NotFound($"No live token '{id}' of yours.");

    private static async Task<UserRecord?> CurrentAsync(HttpContext context, UserStore users) =>
        context.User.FindFirst(LabAuthentication.UserIdClaim)?.Value is { } id ? await users.GetAsync(id, context.RequestAborted) : null;

    private static Task SignInAsync(HttpContext context, UserRecord user) =>
        context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            LabAuthentication.Principal(user, CookieAuthenticationDefaults.AuthenticationScheme), new AuthenticationProperties { IsPersistent = true });

    // Only paths of this lab ("/queue"); not "//evil.example" or "/\evil.example", which browsers read as other hosts.
    private static string LocalOrHome(string? url) =>
        url is { Length: > 0 } local && local[0] == '/' && (local.Length == 1 || local[1] is not ('/' or '\\')) ? local : "/";
}
