using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using WebLab.Lab.Access;

namespace WebLab.Web.Access;

/// <summary>
/// An open page (a Blazor circuit) lives on after its request: every 30 s it asks the database again whether its
/// account is still enabled, so disabling someone closes their open pages too.
/// </summary>
internal sealed class RevalidatingLabState(ILoggerFactory loggerFactory, UserStore users) : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(30);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken cancellationToken)
    {
        var principal = state.User;
        if (principal.HasClaim(c => c.Type == LabAuthentication.VisitorClaim))
            return true;
        var id = principal.FindFirst(LabAuthentication.UserIdClaim)?.Value;
        return id is not null && await users.GetAsync(id, cancellationToken) is { Disabled: false } user
               && LabAuthentication.CallerOf(principal)?.Role == user.Role;
    }
}
