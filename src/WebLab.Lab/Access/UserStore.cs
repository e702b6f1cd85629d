using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.Identity;
using WebLab.Lab.Storage;

namespace WebLab.Lab.Access;

/// <summary>A person with an account.</summary>
public sealed record UserRecord
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required Role Role { get; init; }
    public string? PasswordHash { get; init; }
    public bool Disabled { get; init; }
    public required string CreatedAt { get; init; }

    public Caller Caller => new(Name, Role);
}

/// <summary>What a token is for: an API token (Bearer, until revoked) or a one-time sign-in link (short-lived).</summary>
public enum TokenPurpose
{
    Api,
    Link,
}

/// <summary>A token as listed: never its secret, which is shown once when it is made.</summary>
public sealed record TokenRecord
{
    public required string Id { get; init; }
    public required string UserId { get; init; }
    public required TokenPurpose Purpose { get; init; }
    public required string Name { get; init; }
    public required string CreatedAt { get; init; }
    public string? ExpiresAt { get; init; }
    public string? LastUsedAt { get; init; }
    public string? RevokedAt { get; init; }
}

/// <summary>
/// Accounts in the lab database: users, API tokens, one-time sign-in links and event codes. Secrets are random, shown
/// once and stored as SHA-256 hashes; passwords go through ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/>.
/// </summary>
public sealed class UserStore(Database db)
{
    /// <summary>Every API token starts with this, so a leaked one is easy to recognise (and to scan for).</summary>
    public const string TokenPrefix = "wl_";

    private static readonly PasswordHasher<UserRecord> s_hasher = new();
    private static readonly UserRecord s_nobody = new() { Id = "", Name = "", Role = Role.Guest, CreatedAt = "" };
    private static readonly string s_nobodyHash = s_hasher.HashPassword(s_nobody, "no account has this password");

    private string Now => db.Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

    public async Task<int> CountAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT COUNT(*) FROM users", cancellationToken: cancellationToken));
    }

    /// <summary>Adds a user; <see cref="ConflictNameException"/> when the name is taken (names compare without case).</summary>
    public async Task<UserRecord> AddAsync(string name, Role role, string? password = null, CancellationToken cancellationToken = default)
    {
        UserNames.Check(name);
        var user = new UserRecord { Id = Ids.New("usr", db.Time), Name = name, Role = role, CreatedAt = Now };
        if (password is not null)
            user = user with { PasswordHash = HashPassword(user, password) };
        await using var connection = await db.OpenAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO users (id, name, role, password_hash, disabled, created_at) VALUES (@Id, @Name, @role, @PasswordHash, 0, @CreatedAt)",
                new { user.Id, user.Name, role = Text(role), user.PasswordHash, user.CreatedAt }, cancellationToken: cancellationToken));
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode == 19) // constraint: the unique name
        {
            throw new ConflictNameException(name);
        }
        return user;
    }

    public async Task<UserRecord?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        await OneAsync("SELECT * FROM users WHERE id = @value", id, cancellationToken);

    public async Task<UserRecord?> FindAsync(string name, CancellationToken cancellationToken = default) =>
        await OneAsync("SELECT * FROM users WHERE name = @value", name, cancellationToken);

    public async Task<IReadOnlyList<UserRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<UserRow>(new CommandDefinition("SELECT * FROM users ORDER BY name", cancellationToken: cancellationToken)))
            .Select(r => r.ToRecord()).ToList();
    }

    /// <summary>Disables (or enables) a user: their tokens, links and sessions stop working at their next use.</summary>
    public async Task<bool> SetDisabledAsync(string name, bool disabled, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("UPDATE users SET disabled = @disabled WHERE name = @name",
            new { name, disabled }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Gives a user another role; their open sessions are signed out at their next request (the role no longer matches).</summary>
    public async Task<bool> SetRoleAsync(string name, Role role, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("UPDATE users SET role = @role WHERE name = @name",
            new { name, role = Text(role) }, cancellationToken: cancellationToken)) == 1;
    }

    public async Task SetPasswordAsync(UserRecord user, string password, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE users SET password_hash = @hash WHERE id = @id",
            new { id = user.Id, hash = HashPassword(user, password) }, cancellationToken: cancellationToken));
    }

    /// <summary>The enabled user with this name and password, or null (same answer for a wrong name and a wrong password).</summary>
    public async Task<UserRecord?> VerifyPasswordAsync(string name, string password, CancellationToken cancellationToken = default)
    {
        var user = await FindAsync(name.Trim(), cancellationToken);
        if (user is not { Disabled: false, PasswordHash: { } hash })
        {
            // The same PBKDF2 work as a real check: how long the answer takes does not tell which names exist.
            s_hasher.VerifyHashedPassword(s_nobody, s_nobodyHash, password);
            return null;
        }
        var result = s_hasher.VerifyHashedPassword(user, hash, password);
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
            await SetPasswordAsync(user, password, cancellationToken);
        return result == PasswordVerificationResult.Failed ? null : user;
    }

    /// <summary>Makes a token for <paramref name="user"/>; returns it with its secret, which is not stored and never shown again.</summary>
    public async Task<(TokenRecord Token, string Secret)> CreateTokenAsync(UserRecord user, TokenPurpose purpose, string name, TimeSpan? lifetime = null,
        CancellationToken cancellationToken = default)
    {
        var secret = TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var token = new TokenRecord
        {
            Id = Ids.New("tok", db.Time), UserId = user.Id, Purpose = purpose, Name = name.Trim().Length > 0 ? name.Trim()[..Math.Min(64, name.Trim().Length)] : "token",
            CreatedAt = Now, ExpiresAt = lifetime is { } l ? (db.Time.GetUtcNow() + l).ToString("O", CultureInfo.InvariantCulture) : null,
        };
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO tokens (id, user_id, purpose, name, hash, created_at, expires_at) VALUES (@Id, @UserId, @purpose, @Name, @hash, @CreatedAt, @ExpiresAt)
            """, new { token.Id, token.UserId, purpose = Text(purpose), token.Name, hash = Hash(secret), token.CreatedAt, token.ExpiresAt },
            cancellationToken: cancellationToken));
        return (token, secret);
    }

    /// <summary>
    /// The user and token a secret stands for, when the token is live (not revoked, not expired) and its user enabled;
    /// records its use. A link is spent by this call: it works once.
    /// </summary>
    public async Task<(UserRecord User, TokenRecord Token)?> AuthenticateAsync(string secret, TokenPurpose purpose, CancellationToken cancellationToken = default)
    {
        if (!secret.StartsWith(TokenPrefix, StringComparison.Ordinal) || secret.Length > 100)
            return null;
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<TokenRow>(new CommandDefinition(
            "SELECT * FROM tokens WHERE hash = @hash AND purpose = @purpose AND revoked_at IS NULL",
            new { hash = Hash(secret), purpose = Text(purpose) }, cancellationToken: cancellationToken));
        if (row is null || row.ExpiresAt is { } expires && DateTimeOffset.Parse(expires, CultureInfo.InvariantCulture) <= db.Time.GetUtcNow())
            return null;
        var user = await GetAsync(row.UserId, cancellationToken);
        if (user is not { Disabled: false })
            return null;
        if (purpose == TokenPurpose.Link)
        {
            var spent = await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE tokens SET last_used_at = @now, revoked_at = @now WHERE id = @id AND revoked_at IS NULL", new { id = row.Id, now = Now },
                cancellationToken: cancellationToken));
            return spent == 1 ? (user, row.ToRecord()) : null; // a link two requests raced for: only one wins
        }
        // "Last used" to the minute: a busy script must not turn every read into a database write.
        var minuteAgo = db.Time.GetUtcNow().AddMinutes(-1).ToString("O", CultureInfo.InvariantCulture);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE tokens SET last_used_at = @now WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @minuteAgo)",
            new { id = row.Id, now = Now, minuteAgo }, cancellationToken: cancellationToken));
        return (user, row.ToRecord());
    }

    /// <summary>True while the token is live and its user enabled (open hub connections ask this again and again).</summary>
    public async Task<bool> IsLiveAsync(string tokenId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
            SELECT COUNT(*) FROM tokens t JOIN users u ON u.id = t.user_id
            WHERE t.id = @tokenId AND t.revoked_at IS NULL AND u.disabled = 0 AND (t.expires_at IS NULL OR t.expires_at > @now)
            """, new { tokenId, now = Now }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>A user's API tokens, newest first (revoked ones too, marked).</summary>
    public async Task<IReadOnlyList<TokenRecord>> TokensAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<TokenRow>(new CommandDefinition(
            "SELECT * FROM tokens WHERE user_id = @userId AND purpose = 'api' ORDER BY id DESC", new { userId }, cancellationToken: cancellationToken)))
            .Select(r => r.ToRecord()).ToList();
    }

    /// <summary>Revokes one token (of <paramref name="userId"/> when given); false when there is no such live token.</summary>
    public async Task<bool> RevokeAsync(string tokenId, string? userId = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE tokens SET revoked_at = @now WHERE id = @tokenId AND revoked_at IS NULL AND (@userId IS NULL OR user_id = @userId)",
            new { tokenId, userId, now = Now }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Revokes every token and link of a user; returns how many.</summary>
    public async Task<int> RevokeAllAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE tokens SET revoked_at = @now WHERE user_id = @userId AND revoked_at IS NULL", new { userId, now = Now },
            cancellationToken: cancellationToken));
    }

    /// <summary>Makes an event code for self-registration until <paramref name="until"/>; returns the code (shown once).</summary>
    public async Task<string> CreateEventCodeAsync(Role role, DateTimeOffset until, CancellationToken cancellationToken = default)
    {
        if (role == Role.Admin)
            throw new BadInputException("An event code makes guests or members, never admins.");
        var code = Base64Url(RandomNumberGenerator.GetBytes(9));
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO event_codes (id, hash, role, expires_at, created_at) VALUES (@id, @hash, @role, @until, @now)",
            new { id = Ids.New("evt", db.Time), hash = Hash(code), role = Text(role), until = until.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture), now = Now },
            cancellationToken: cancellationToken));
        return code;
    }

    /// <summary>Event codes that still work (id, role, until), soonest to expire first; never the codes themselves.</summary>
    public async Task<IReadOnlyList<(string Id, Role Role, string ExpiresAt)>> EventCodesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, string Role, string ExpiresAt)>(new CommandDefinition(
            "SELECT id, role, expires_at FROM event_codes WHERE expires_at > @now ORDER BY expires_at", new { now = Now },
            cancellationToken: cancellationToken));
        return rows.Select(r => (r.Id, Enum.Parse<Role>(r.Role, ignoreCase: true), r.ExpiresAt)).ToList();
    }

    /// <summary>Ends an event code now (a leaked code stops working); false if there is no such live code.</summary>
    public async Task<bool> EndEventCodeAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE event_codes SET expires_at = @now WHERE id = @id AND expires_at > @now", new { id, now = Now },
            cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>The role an event code gives while it is valid, or null.</summary>
    public async Task<Role?> RedeemEventCodeAsync(string code, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var role = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT role FROM event_codes WHERE hash = @hash AND expires_at > @now", new { hash = Hash(code.Trim()), now = Now },
            cancellationToken: cancellationToken));
        return role is null ? null : Enum.Parse<Role>(role, ignoreCase: true);
    }

    private static string HashPassword(UserRecord user, string password)
    {
        UserNames.CheckPassword(password);
        return s_hasher.HashPassword(user, password);
    }

    private async Task<UserRecord?> OneAsync(string sql, string value, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(sql, new { value }, cancellationToken: cancellationToken)))?.ToRecord();
    }

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static string Text<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    // Dapper rows: roles and purposes are stored as lower-case words.
    private sealed record UserRow(string Id, string Name, string Role, string? PasswordHash, long Disabled, string CreatedAt)
    {
        public UserRecord ToRecord() => new()
        {
            Id = Id, Name = Name, Role = Enum.Parse<Role>(Role, ignoreCase: true), PasswordHash = PasswordHash, Disabled = Disabled != 0, CreatedAt = CreatedAt,
        };
    }

    private sealed record TokenRow(string Id, string UserId, string Purpose, string Name, string Hash, string CreatedAt, string? ExpiresAt,
        string? LastUsedAt, string? RevokedAt)
    {
        public TokenRecord ToRecord() => new()
        {
            Id = Id, UserId = UserId, Purpose = Enum.Parse<TokenPurpose>(Purpose, ignoreCase: true), Name = Name, CreatedAt = CreatedAt,
            ExpiresAt = ExpiresAt, LastUsedAt = LastUsedAt, RevokedAt = RevokedAt,
        };
    }
}

/// <summary>The name is taken (names compare without case).</summary>
public sealed class ConflictNameException(string name) : BadInputException($"The name '{name}' is taken; choose another.");
