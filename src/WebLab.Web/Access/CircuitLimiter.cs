using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace WebLab.Web.Access;

/// <summary>Counts each open page (Blazor circuit) against its person's <see cref="LiveConnections"/>; past the limit the page does not connect.</summary>
internal sealed class CircuitLimiter(LiveConnections live, AuthenticationStateProvider authentication) : CircuitHandler
{
    private string? _person;

    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        var name = (await authentication.GetAuthenticationStateAsync()).User.Identity?.Name;
        if (name is null)
            return;
        if (!live.TryOpen(name))
            throw new InvalidOperationException($"{name} has too many open pages; close some tabs.");
        _person = name;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        if (_person is not null)
            live.Close(_person);
        _person = null;
        return Task.CompletedTask;
    }
}
