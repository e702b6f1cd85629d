using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using WebLab.Lab.Access;

namespace WebLab.Web.Access;

/// <summary>
/// Personal API tokens: <c>Authorization: Bearer wl_...</c>, checked against the lab database on every request, so
/// a revoked token or a disabled user is refused at once. WebSocket clients cannot set headers, so the hub also takes
/// the token as <c>?access_token=</c> (as SignalR clients send it).
/// </summary>
internal sealed class BearerHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, UserStore users)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public static bool HasToken(HttpRequest request) => Secret(request) is not null;

    private static string? Secret(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return header["Bearer ".Length..].Trim();
        return request.Path.StartsWithSegments(Hubs.JobsHub.Path) && request.Query["access_token"].ToString() is { Length: > 0 } query ? query : null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Secret(Request) is not { } secret)
            return AuthenticateResult.NoResult();
        return await users.AuthenticateAsync(secret, TokenPurpose.Api, Context.RequestAborted) is { } found
            ? AuthenticateResult.Success(new AuthenticationTicket(LabAuthentication.Principal(found.User, Scheme.Name, found.Token.Id), Scheme.Name))
            : AuthenticateResult.Fail("The API token is not valid: unknown, revoked or expired, or its user is disabled.");
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem("The API token is not valid: unknown, revoked or expired, or its user is disabled. Make a new one on your account page.",
            statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in").ExecuteAsync(Context);
    }
}
