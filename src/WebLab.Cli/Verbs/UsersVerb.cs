using System.CommandLine;
using WebLab.Lab.Access;
using WebLab.Lab.Storage;

namespace WebLab.Cli.Verbs;

/// <summary>
/// weblab users / tokens / events: a lab's accounts, administered on its data folder (the lab may be running: SQLite
/// takes turns). Secrets go to stdout alone, so <c>TOKEN=$(weblab users add ...)</c> works; everything else to stderr.
/// </summary>
internal static class UsersVerb
{
    private static Option<string> Data() => new("--data")
    {
        Description = "the lab's data folder (default: $WEBLAB_DATA, else ./data)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("WEBLAB_DATA") is { Length: > 0 } env ? env : "data",
    };

    public static Command CreateUsers()
    {
        var command = new Command("users", "Manage the lab's accounts: add (prints the new user's API token), list, disable, enable, link, role.");
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        command.Subcommands.Add(SetDisabled("disable", true, "Disable a user: their tokens, links and sessions stop working at once."));
        command.Subcommands.Add(SetDisabled("enable", false, "Enable a disabled user again."));
        command.Subcommands.Add(Link());
        command.Subcommands.Add(SetRole());
        return command;
    }

    public static Command CreateTokens()
    {
        var data = Data();
        var name = new Argument<string>("user") { Description = "whose tokens" };
        var list = new Command("list", "A user's API tokens: id, name, created, last used, revoked.") { name, data };
        list.SetAction(async (parse, ct) =>
        {
            var store = await OpenAsync(parse.GetValue(data)!, ct);
            var user = await UserAsync(store, parse.GetValue(name)!, ct);
            Console.WriteLine($"{"id",-24} {"name",-20} {"created",-17} {"last used",-17} revoked");
            foreach (var t in await store.TokensAsync(user.Id, ct))
                Console.WriteLine($"{t.Id,-24} {t.Name,-20} {Short(t.CreatedAt),-17} {Short(t.LastUsedAt),-17} {Short(t.RevokedAt)}");
            return 0;
        });
        var id = new Argument<string?>("token") { Description = "the token's id (tok_..., see 'weblab tokens list')", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<string?>("--user") { Description = "revoke every token and sign-in link of this user instead" };
        var revoke = new Command("revoke", "Revoke a token (refused at its next use, open hub connections included), or all of a user's.") { id, all, data };
        revoke.SetAction(async (parse, ct) =>
        {
            var store = await OpenAsync(parse.GetValue(data)!, ct);
            if (parse.GetValue(all) is { } userName)
            {
                var user = await UserAsync(store, userName, ct);
                Console.Error.WriteLine($"revoked {await store.RevokeAllAsync(user.Id, ct)} token(s) of {user.Name}");
                return 0;
            }
            var tokenId = parse.GetValue(id) ?? throw new BadInputException("Name the token to revoke (tok_...), or use --user NAME.");
            if (!await store.RevokeAsync(tokenId, cancellationToken: ct))
                throw new BadInputException($"No live token '{tokenId}'.");
            Console.Error.WriteLine($"revoked {tokenId}");
            return 0;
        });
        return new Command("tokens", "List or revoke API tokens.") { list, revoke };
    }

    public static Command CreateEvents()
    {
        var data = Data();
        var role = new Option<Role>("--role") { Description = "what people who register with the code become: member or guest", DefaultValueFactory = _ => Role.Member };
        var hours = new Option<double>("--hours") { Description = "how long the code works", DefaultValueFactory = _ => 48 };
        var create = new Command("create", "Make an event code for self-registration (a hackathon): prints the code, valid for --hours.") { role, hours, data };
        create.SetAction(async (parse, ct) =>
        {
            var store = await OpenAsync(parse.GetValue(data)!, ct);
            var span = parse.GetValue(hours);
            if (span is <= 0 or > 24 * 31)
                throw new BadInputException("--hours must be more than 0 and at most 744 (31 days).");
            var until = DateTimeOffset.UtcNow.AddHours(span);
            Console.Out.WriteLine(await store.CreateEventCodeAsync(parse.GetValue(role), until, ct));
            Console.Error.WriteLine($"valid until {until:yyyy-MM-dd HH:mm} UTC; people register at /account/register with it");
            return 0;
        });
        var list = new Command("list", "Event codes that still work: id, role, until (the codes themselves are not kept).") { data };
        list.SetAction(async (parse, ct) =>
        {
            foreach (var (id, codeRole, until) in await (await OpenAsync(parse.GetValue(data)!, ct)).EventCodesAsync(ct))
                Console.WriteLine($"{id,-24} {Roles(codeRole),-7} until {Short(until)} UTC");
            return 0;
        });
        var codeId = new Argument<string>("id") { Description = "the code's id (evt_..., see 'weblab events list')" };
        var end = new Command("end", "End an event code now: nobody can register with it any more.") { codeId, data };
        end.SetAction(async (parse, ct) =>
        {
            if (!await (await OpenAsync(parse.GetValue(data)!, ct)).EndEventCodeAsync(parse.GetValue(codeId)!, ct))
                throw new BadInputException($"No live event code '{parse.GetValue(codeId)}'.");
            Console.Error.WriteLine($"ended {parse.GetValue(codeId)}");
            return 0;
        });
        return new Command("events", "Hackathon event codes for self-registration: create, list, end.") { create, list, end };
    }

    private static Command SetRole()
    {
        var data = Data();
        var name = new Argument<string>("name");
        var role = new Argument<Role>("role") { Description = "admin, member or guest" };
        var command = new Command("role", "Give a user another role (their open sessions sign in again).") { name, role, data };
        command.SetAction(async (parse, ct) =>
        {
            if (!await (await OpenAsync(parse.GetValue(data)!, ct)).SetRoleAsync(parse.GetValue(name)!, parse.GetValue(role), ct))
                throw new BadInputException($"No user '{parse.GetValue(name)}'.");
            Console.Error.WriteLine($"{parse.GetValue(name)} is now {Roles(parse.GetValue(role))}");
            return 0;
        });
        return command;
    }

    private static string Roles(Role role) => role.ToString().ToLowerInvariant();

    private static Command Add()
    {
        var data = Data();
        var name = new Argument<string>("name") { Description = "1-64 letters, digits and . _ - @" };
        var role = new Option<Role>("--role") { Description = "admin, member or guest", DefaultValueFactory = _ => Role.Member };
        var password = new Option<bool>("--password-stdin") { Description = "read a password for page sign-in from stdin (otherwise: 'weblab users link')" };
        var command = new Command("add", "Add a user; prints their API token (shown once) on stdout.") { name, role, password, data };
        command.SetAction(async (parse, ct) =>
        {
            var store = await OpenAsync(parse.GetValue(data)!, ct);
            var secret = parse.GetValue(password) ? (await Console.In.ReadLineAsync(ct))?.TrimEnd('\r', '\n') : null;
            var user = await store.AddAsync(parse.GetValue(name)!, parse.GetValue(role), secret, ct);
            var (_, token) = await store.CreateTokenAsync(user, TokenPurpose.Api, "cli", cancellationToken: ct);
            Console.Out.WriteLine(token);
            Console.Error.WriteLine($"added {user.Name} ({Roles(user.Role)}); the line above is their API token: " +
                                    "Authorization: Bearer <token>. It is not shown again.");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var data = Data();
        var json = Cli.Json();
        var command = new Command("list", "The lab's users: name, role, disabled, password set, created.") { data, json };
        command.SetAction(async (parse, ct) =>
        {
            var users = await (await OpenAsync(parse.GetValue(data)!, ct)).ListAsync(ct);
            if (parse.GetValue(json))
            {
                Cli.PrintJson(users.Select(u => new { u.Name, role = Roles(u.Role), u.Disabled, password = u.PasswordHash is not null, u.CreatedAt }));
                return 0;
            }
            Console.WriteLine($"{"name",-24} {"role",-7} {"state",-9} {"password",-8} created");
            foreach (var u in users)
                Console.WriteLine($"{u.Name,-24} {Roles(u.Role),-7} {(u.Disabled ? "disabled" : "active"),-9} {(u.PasswordHash is null ? "no" : "yes"),-8} {Short(u.CreatedAt)}");
            return 0;
        });
        return command;
    }

    private static Command SetDisabled(string verb, bool disabled, string description)
    {
        var data = Data();
        var name = new Argument<string>("name");
        var command = new Command(verb, description) { name, data };
        command.SetAction(async (parse, ct) =>
        {
            var store = await OpenAsync(parse.GetValue(data)!, ct);
            if (!await store.SetDisabledAsync(parse.GetValue(name)!, disabled, ct))
                throw new BadInputException($"No user '{parse.GetValue(name)}'.");
            Console.Error.WriteLine($"{parse.GetValue(name)}: {verb}d");
            return 0;
        });
        return command;
    }

    private static Command Link()
    {
        var data = Data();
        var name = new Argument<string>("name");
        var url = new Option<string>("--url") { Description = "the lab's address", DefaultValueFactory = _ => "http://localhost:5180" };
        var command = new Command("link", "Print a one-time sign-in link for a user (an invitation, or a lost password); valid 7 days.") { name, url, data };
        command.SetAction(async (parse, ct) =>
        {
            var store = await OpenAsync(parse.GetValue(data)!, ct);
            var user = await UserAsync(store, parse.GetValue(name)!, ct);
            var (_, secret) = await store.CreateTokenAsync(user, TokenPurpose.Link, "invitation", TimeSpan.FromDays(7), ct);
            Console.Out.WriteLine(SignInLinks.For(parse.GetValue(url)!, secret));
            Console.Error.WriteLine($"one-time sign-in link for {user.Name}, valid 7 days; they set a password on their account page");
            return 0;
        });
        return command;
    }

    private static async Task<UserStore> OpenAsync(string dataFolder, CancellationToken cancellationToken)
    {
        var db = new Database(new DataFolder(dataFolder).DatabasePath);
        await db.MigrateAsync(cancellationToken);
        return new UserStore(db);
    }

    private static async Task<UserRecord> UserAsync(UserStore store, string name, CancellationToken cancellationToken) =>
        await store.FindAsync(name, cancellationToken) ?? throw new BadInputException($"No user '{name}'.");

    private static string Short(string? iso) => iso is null ? "-" : iso.Length >= 16 ? iso[..16].Replace('T', ' ') : iso;
}
