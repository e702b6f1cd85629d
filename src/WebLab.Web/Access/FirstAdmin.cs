using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using WebLab.Lab.Access;

namespace WebLab.Web.Access;

/// <summary>
/// A fresh lab has nobody who could sign in. Once the server listens, if there is no admin yet, this makes one
/// ("admin", no password) and prints a one-time sign-in link on the console, as Jupyter prints its token: the
/// README's first command still needs nothing else.
/// </summary>
internal sealed class FirstAdmin(UserStore users, IServer server, IHostApplicationLifetime lifetime, ILogger<FirstAdmin> log) : IHostedService
{
    public const string Name = "admin";

    public static readonly TimeSpan LinkLifetime = TimeSpan.FromHours(24);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => _ = AnnounceAsync());
        return Task.CompletedTask;
    }

    private async Task AnnounceAsync()
    {
        try
        {
            var admins = (await users.ListAsync()).Where(u => u.Role == Role.Admin && !u.Disabled).ToList();
            if (admins.Count > 0)
                return;
            var admin = await users.FindAsync(Name) ?? await users.AddAsync(Name, Role.Admin);
            if (admin.Role != Role.Admin || admin.Disabled)
            {
                log.LogWarning("the lab has no enabled admin, and '{Name}' is not one: run 'weblab users add NAME --role admin --data DIR'", Name);
                return;
            }
            var (_, secret) = await users.CreateTokenAsync(admin, TokenPurpose.Link, "first start", LinkLifetime);
            var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? "http://localhost:5180";
            var link = SignInLinks.For(address.Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal).Replace("://[::]", "://localhost", StringComparison.Ordinal), secret);
            // The console, not only the log: this line is what a new user needs to see.
            Console.WriteLine($"""

                WebLab: this is a new lab. Sign in as its admin with this one-time link (valid {LinkLifetime.TotalHours:0} h):

                    {link}

                Then set a password on your account page, and add people there or with 'weblab users add NAME --role member'.

                """);
            log.LogInformation("first start: made the admin account '{Admin}' and printed its one-time sign-in link", admin.Name);
        }
        catch (Exception e)
        {
            log.LogError(e, "could not make the first admin; run 'weblab users add admin --role admin --data DIR' instead");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
